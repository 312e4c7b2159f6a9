"""The README's two set-up commands are the ones CI runs and users copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md starts with a bash block of set-up commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_the_readme_starts_with_the_demo_command_and_the_test_command() -> None:
    demo, tests = _readme_commands()
    assert demo.endswith("accord demo --orders 200")
    assert tests.endswith("&& pytest")


def test_ci_runs_the_readme_test_command_exactly() -> None:
    _, tests = _readme_commands()
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci, f".ci/run does not run the README's test command {tests!r}"
    assert ci[-1] == tests, ".ci/run ends with the README's test command (its exit code is CI's)"
