"""A background loop of rounds that a commit can wake: what the relays (outbox to Kafka, outbox
to feed log) and the readers (Kafka consumer, Atom poller) share."""

from __future__ import annotations

import threading

__all__ = ["RoundsThread"]


class RoundsThread:
    """Runs :meth:`_run` on a daemon thread between :meth:`start` and :meth:`stop`.

    :meth:`_run` loops until ``self._stop`` is set and waits on ``self._wake`` between rounds
    that found nothing to do, so :meth:`wake` (called after a commit that added work) starts
    the next round at once instead of after the poll interval.
    """

    def __init__(self, thread_name: str, stop_timeout_s: float = 10.0) -> None:
        self._thread_name = thread_name
        self._stop_timeout_s = stop_timeout_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Start the next round now (called after a commit that added work)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Ask the loop to end and wait for it (``timeout_s``, default the one given at init)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._stop_timeout_s if timeout_s is None else timeout_s)
            self._thread = None

    def _run(self) -> None:  # pragma: no cover - every subclass defines its rounds
        raise NotImplementedError
