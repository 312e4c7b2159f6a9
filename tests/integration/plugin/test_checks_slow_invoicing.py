"""``ci/check`` (``pytest checks/``) fails, naming the late orders, when invoicing is slow.

Runs ``ci/check`` in a subprocess, selecting the consistency check of ``checks/``, against the
reference system on an embedded broker with the invoicing service slowed on purpose; its
exit code is the verdict and the reports land in the artifacts directory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
ORDERS = 3


def test_slow_invoicing_fails_the_consistency_check_naming_each_late_order(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "artifacts"
    env = {
        **os.environ,
        "ACCORD_ARTIFACTS": str(artifacts),
        "ACCORD_SLA": "1s",
        # 1.5 s per invoice: the n-th order's invoice comes after about n * 1.5 s.
        "ACCORD_INVOICING_DELAY_MS": "1500",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("ACCORD_DATABASE_URL", None)
    done = subprocess.run(
        [
            "ci/check",
            "-k",
            "every_order_gets_one_invoice",
            f"--accord-orders={ORDERS}",
            "--accord-transport=kafka",  # one system: the check's wording is the same on Atom
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = pytest.LineMatcher(done.stdout.splitlines())
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    out.fnmatch_lines(
        [
            "E       accord.pytest_plugin.SLAViolationError: SLA broken: "
            f"{ORDERS} of {ORDERS} order.accepted keys have violations ({ORDERS} late)",
            "E         late  invoice.created  key *: took *s, limit 1s (* late)",
            "*= accord SLA: order.accepted over 1 test =*",
            f"invoice.created       1s   0     {ORDERS}        0 *",
            f"NOT CONSISTENT: {ORDERS} violations ({ORDERS} late) over {ORDERS} "
            "order.accepted triggers",
            f"accord reports: {artifacts}/report.json, {artifacts}/junit.xml, "
            f"{artifacts}/report.html",
            "FAILED checks/test_consistency.py::"
            # pytest does not truncate the summary line under CI=true: match its tail too.
            "test_every_order_gets_one_invoice_and_one_delivery_in_time*",
        ]
    )
    named = set(re.findall(r"late  invoice\.created  key ([0-9a-f-]{36}):", done.stdout))
    report = json.loads((artifacts / "report.json").read_text())
    late = {v["key"] for v in report["violations"] if v["kind"] == "late"}
    assert len(named) == ORDERS
    assert named == late
    assert report["expectations"]["delivery.created"]["ok"] == ORDERS
    assert sorted(p.name for p in artifacts.iterdir()) == [
        "junit-checks.xml",
        "junit.xml",
        "report.html",
        "report.json",
    ]
