"""Child processes that do not outlive accord."""

from __future__ import annotations

import ctypes
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """``preexec_fn`` for :class:`subprocess.Popen`: the child gets SIGTERM when we die.

    If the process that started a broker or a service is killed outright, its children go
    too, so nothing is left listening. Linux only; elsewhere a no-op. The signal fires when
    the *thread* that started the child ends, so start children from a long-lived thread.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
