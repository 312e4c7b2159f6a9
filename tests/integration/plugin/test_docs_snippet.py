"""The "new project" snippet of docs/pytest-plugin.md works when copied outside the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "pytest-plugin.md"


def snippet_files() -> dict[str, str]:
    """The python blocks of the doc that start with ``# <file name>``."""
    files: dict[str, str] = {}
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S):
        first, _, _ = block.partition("\n")
        if first.startswith("# ") and first.endswith(".py"):
            files[first[2:].strip()] = block
    return files


def test_the_new_project_snippet_runs_green(tmp_path: Path) -> None:
    files = snippet_files()
    assert sorted(files) == ["conftest.py", "test_orders.py"]
    project = tmp_path / "new-project"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    shutil.copytree(REPO / "contracts", project / "contracts")

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    pytest.LineMatcher(done.stdout.splitlines()).fnmatch_lines(
        [
            f"rootdir: {project}",
            "test_orders.py .*",
            "*= accord SLA: order.accepted over 1 test =*",
            "delivery.created     30s  10     0        0 *",
            "invoice.created      30s  10     0        0 *",
            "CONSISTENT: 10 order.accepted triggers, 0 violations",
            "*= 1 passed in *",
        ]
    )


def test_the_readme_carries_the_same_snippet() -> None:
    readme = (REPO / "README.md").read_text()
    for name, text in snippet_files().items():
        assert f"```python\n{text}```" in readme, f"README's {name} differs from {DOC.name}'s"
