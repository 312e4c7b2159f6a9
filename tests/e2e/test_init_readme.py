"""A new project: ``accord init`` in an empty directory, then the README's pytest snippet.

The two Python blocks under "## pytest" in README.md are copied as they are into the new
directory (``conftest.py``, ``test_orders.py``) and run with pytest in a child process: the
snippet a user copies must work from what ``accord init`` writes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippets() -> dict[str, str]:
    section = README.read_text().split("## pytest", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    files = {}
    for block in blocks:
        first, _, _ = block.partition("\n")
        assert first.startswith("# "), f"a README pytest block names its file: {first!r}"
        files[first[2:].strip()] = block
    assert set(files) == {"conftest.py", "test_orders.py"}
    return files


def test_the_readme_snippet_runs_in_a_fresh_directory_after_accord_init(tmp_path: Path) -> None:
    init = subprocess.run(
        [sys.executable, "-m", "accord.cli", "init"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "contracts" / "schemas" / "order.accepted" / "v2.json").is_file()
    for name, text in _snippets().items():
        (tmp_path / name).write_text(text)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
