"""A fault hook that makes one crash moment certain, for the reliability tests.

``REFERENCE_SERVICES_CRASH_AFTER_ACK=N`` in a service's environment makes its outbox relay
SIGKILL its own process right after the broker acknowledged the relay's N-th record and
before that record's outbox row is marked sent: the database commit and the publication
happened, the bookkeeping did not. The next relay must publish the row again (at least once;
consumers deduplicate). Unset (the normal case) it changes nothing.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from accord.events import KafkaMessage
from reference_services.common.outbox import Publisher

__all__ = ["CRASH_AFTER_ACK_ENV", "crash_hook"]

CRASH_AFTER_ACK_ENV = "REFERENCE_SERVICES_CRASH_AFTER_ACK"

log = logging.getLogger(__name__)


class _CrashAfterAck:
    """Wraps a publisher; the ``after``-th acknowledged record kills the process."""

    def __init__(self, publisher: Publisher, after: int) -> None:
        self._publisher = publisher
        self._after = after
        self._acked = 0

    def send(self, topic: str, message: KafkaMessage) -> Any:
        return _Ack(self, self._publisher.send(topic, message))

    def acked(self) -> None:
        self._acked += 1
        if self._acked >= self._after:
            log.warning("%s=%d: killing the process after an ack", CRASH_AFTER_ACK_ENV, self._after)
            logging.shutdown()
            os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name: str) -> Any:  # close(), producer: the wrapped publisher's
        return getattr(self._publisher, name)


class _Ack:
    def __init__(self, owner: _CrashAfterAck, future: Any) -> None:
        self._owner = owner
        self._future = future

    def get(self, timeout: float | None = None) -> Any:
        if hasattr(self._future, "get"):
            result = self._future.get(timeout=timeout)
        else:
            result = self._future.result(timeout=timeout)
        self._owner.acked()
        return result


def crash_hook(publisher: Publisher, environ: dict[str, str] | None = None) -> Publisher:
    """``publisher``, wrapped when :data:`CRASH_AFTER_ACK_ENV` is set to a positive number."""
    raw = (environ if environ is not None else os.environ).get(CRASH_AFTER_ACK_ENV, "")
    if not raw.strip():
        return publisher
    try:
        after = int(raw)
    except ValueError:
        raise ValueError(f"{CRASH_AFTER_ACK_ENV}={raw!r}: use a positive whole number") from None
    if after < 1:
        raise ValueError(f"{CRASH_AFTER_ACK_ENV}={raw!r}: use a positive whole number")
    return _CrashAfterAck(publisher, after)
