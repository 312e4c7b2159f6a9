"""Pact Broker interop through the ``pact`` command line of pact-python-cli."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from accord.errors import UsageError

__all__ = ["broker_pact_urls", "broker_publish_command", "pact_cli"]


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


def broker_pact_urls(
    broker_url: str, provider: str, consumers: Sequence[str], *, branch: str = ""
) -> list[str]:
    """The Pact Broker URLs of each consumer's latest pact with ``provider``.

    ``{broker}/pacts/provider/{provider}/consumer/{consumer}/latest``, or
    ``.../branch/{branch}/latest`` for the latest of a consumer branch.

    Raises:
        UsageError: when no consumer is named.
    """
    if not consumers:
        raise UsageError("--broker-url needs the consumers to verify: pass --consumer NAME")
    base = broker_url.rstrip("/")
    tail = f"branch/{quote(branch, safe='')}/latest" if branch else "latest"
    return [
        f"{base}/pacts/provider/{quote(provider, safe='')}/consumer/{quote(c, safe='')}/{tail}"
        for c in consumers
    ]
