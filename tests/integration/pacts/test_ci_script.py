"""ci/publish-contracts end to end against a directory registry (committed pacts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def test_publish_contracts_script(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ACCORD_REGISTRY": str(registry),
        "ACCORD_VERSION": "ci-1",
        "ACCORD_BRANCH": "main",
        "ACCORD_SKIP_CONSUMER_TESTS": "1",
        "ACCORD_RECORD_DEPLOYMENT": "1",
    }
    proc = subprocess.run(
        [str(ROOT / "ci" / "publish-contracts"), "staging"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "yes: order ci-1 can be deployed to staging" in proc.stdout
    index = json.loads((registry / "registry.json").read_text())
    assert sorted(p["consumer"] for p in index["pacts"]) == ["invoicing", "shipping"]
    assert sorted(s["id"] for s in index["schemas"]) == [
        "urn:accord:schemas:delivery.created:v1",
        "urn:accord:schemas:invoice.created:v1",
        "urn:accord:schemas:order.accepted:v1",
        "urn:accord:schemas:order.accepted:v2",
    ]
    assert all(v["success"] for v in index["verifications"])
    assert {(d["pacticipant"], d["environment"]) for d in index["deployments"]} == {
        ("order", "staging"),
        ("shipping", "staging"),
        ("invoicing", "staging"),
    }
