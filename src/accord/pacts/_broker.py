"""Pact Broker interop through the ``pact`` command line of pact-python-cli."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from accord.errors import UsageError

__all__ = ["broker_publish_command", "pact_cli"]


def pact_cli() -> str:
    """The ``pact`` executable: the one installed next to this Python, else on ``PATH``.

    Raises:
        UsageError: when pact-python-cli is not installed.
    """
    beside = Path(sys.executable).with_name("pact")
    if beside.exists():
        return str(beside)
    found = shutil.which("pact")
    if found is None:
        raise UsageError("the `pact` command is not installed: pip install pact-python-cli")
    return found


def broker_publish_command(
    pact_files: Sequence[str | Path],
    *,
    broker_url: str,
    version: str,
    branch: str = "",
    tags: Sequence[str] = (),
    build_url: str = "",
    executable: str | None = None,
) -> list[str]:
    """The ``pact broker publish`` command line that publishes ``pact_files`` to a broker.

    Credentials are not put on the command line: the CLI reads ``PACT_BROKER_TOKEN`` or
    ``PACT_BROKER_USERNAME``/``PACT_BROKER_PASSWORD`` from the environment.
    """
    if not pact_files:
        raise UsageError("no pact files to publish; pass files or --contracts DIR")
    command = [executable or pact_cli(), "broker", "publish", *(str(p) for p in pact_files)]
    command += ["--broker-base-url", broker_url, "--consumer-app-version", version]
    if branch:
        command += ["--branch", branch]
    for tag in tags:
        command += ["--tag", tag]
    if build_url:
        command += ["--build-url", build_url]
    return command
