"""What the end-to-end tests share: running the accord CLI as a user does, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

RunAccord = Callable[..., "subprocess.CompletedProcess[str]"]


def _run_accord(*args: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture
def run_accord() -> RunAccord:
    """Run the accord CLI as a child process and capture its output."""
    return _run_accord
