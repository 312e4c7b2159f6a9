"""The AsyncAPI documents accord ships and writes pass the AsyncAPI project's own parser.

``ci/asyncapi`` pins ``@asyncapi/parser`` (package.json + package-lock.json; ``.ci/run``
installs it with ``npm ci``); ``ci/asyncapi/validate.mjs`` prints every diagnostic. No
document may have one of severity error. A broken copy is parsed alongside, to show the
parser really resolves the payload files and would say so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from accord.cli import main

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
TOOL = REPO / "ci" / "asyncapi"


def test_no_document_has_an_error_diagnostic(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the AsyncAPI parser (npm @asyncapi/parser) needs it")
    if not (TOOL / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(
            f"{TOOL}: @asyncapi/parser is not installed; run `npm ci --prefix {TOOL}`",
            pytrace=False,
        )
    for variant, args in (("dir", []), ("doc", ["--asyncapi"])):
        (tmp_path / variant).mkdir()
        assert main(["init", *args, str(tmp_path / variant)]) == 0
    broken = tmp_path / "doc" / "broken.yaml"
    broken.write_text(
        (tmp_path / "doc" / "asyncapi.yaml")
        .read_text()
        .replace("./schemas/order.accepted/v2.json", "./schemas/order.accepted/v9.json")
    )
    documents = [
        REPO / "contracts" / "asyncapi.yaml",
        REPO / "examples" / "asyncapi-shop" / "asyncapi.yaml",
        tmp_path / "dir" / "contracts" / "asyncapi.yaml",
        tmp_path / "doc" / "asyncapi.yaml",
        broken,
    ]
    run = subprocess.run(
        [node, str(TOOL / "validate.mjs"), *map(str, documents)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stderr  # the broken one
    results = {Path(r["file"]): r["diagnostics"] for r in map(json.loads, run.stdout.splitlines())}
    assert set(results) == set(documents)
    for document in documents[:-1]:
        errors = [d for d in results[document] if d["severity"] == "error"]
        assert errors == [], f"{document}: {errors}"
    [error] = [d for d in results[broken] if d["severity"] == "error"]
    assert error["code"] == "invalid-ref" and "v9.json" in error["message"]
