"""The Kafka consumer loop of the consuming services, with a dead-letter topic.

For every record: wait the configured processing delay, decode the CloudEvent (binary mode),
dispatch on ``type`` to the handler, which commits its own database transaction. Offsets are
committed only after the handlers of a poll batch returned, i.e. after their database commits;
a crash in between redelivers the records and the handlers' idempotency absorbs them.

A record that can never be processed (not a CloudEvent, not JSON, unknown ``type``, a payload
of the wrong shape) is copied to ``<topic>.dlq`` -- same key, value and headers, plus
:data:`ERROR_HEADER` with the reason and :data:`ORIGIN_HEADER` with ``topic/partition@offset``
-- and the loop goes on. A record too large for the dead-letter producer's 1 MB requests is
copied truncated, with :data:`TRUNCATED_HEADER` and :data:`ORIGINAL_SIZE_HEADER`. Any other
error is retried from the same offset after a backoff, pausing only that partition: an error
of the record's own making (:func:`is_transient` is False, e.g. PostgreSQL's ``numeric field
overflow``) at most ``max_attempts`` times, then the record is dead-lettered with the reason;
a transient one (database down) for as long as it lasts, reported by :meth:`stalled`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.events import EventDecodeError, KafkaMessage, Location, from_kafka
from reference_services.common.errors import UnprocessableEvent
from reference_services.common.outbox import Publisher
from reference_services.common.rounds import RoundsThread

__all__ = [
    "DLQ_SUFFIX",
    "ERROR_HEADER",
    "ORIGINAL_SIZE_HEADER",
    "ORIGIN_HEADER",
    "TRUNCATED_HEADER",
    "EventConsumer",
    "Handler",
    "dead_letter_message",
    "is_transient",
]

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"
#: Header of a dead-lettered record: why it could not be processed (UTF-8 text).
ERROR_HEADER = "accord-error"
#: Header of a dead-lettered record: where it came from, ``topic/partition@offset``.
ORIGIN_HEADER = "accord-origin"

#: Header of a truncated dead-lettered record: what was cut (UTF-8 text).
TRUNCATED_HEADER = "accord-truncated"
#: Header of a truncated dead-lettered record: the size of the original value in bytes.
ORIGINAL_SIZE_HEADER = "accord-original-size"
#: A dead-lettered copy keeps the whole record up to this size (key, value and headers); a
#: larger one keeps the first :data:`DLQ_KEPT_BYTES` of its value, so that it fits the DLQ
#: producer's 1 MB request limit.
DLQ_MAX_RECORD_BYTES = 512 * 1024
DLQ_KEPT_BYTES = 64 * 1024
#: The longest reason a dead-letter header carries.
MAX_REASON_CHARS = 2000

#: A handler takes a structured CloudEvent and commits its own unit of work.
Handler = Callable[[dict[str, Any]], object]


#: The first wait before a failed record is tried again; it doubles up to MAX_BACKOFF_S.
RETRY_BACKOFF_S = 0.25
MAX_BACKOFF_S = 10.0


def is_transient(exc: BaseException) -> bool:
    """Whether an error of a handler may go away by itself (the database or the broker is
    away) rather than being caused by the record (a value PostgreSQL refuses, a constraint
    the record breaks, a number the code cannot handle).

    Errors of the record's own making are those of the data: SQLAlchemy's ``DataError`` and
    ``IntegrityError`` (the handlers resolve the one expected race, on the order id, before it
    gets here) and ``ValueError``, ``ArithmeticError``, ``LookupError``, ``TypeError``. Every
    other error is transient: it is retried for as long as it lasts, and health says so.
    """
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        return not isinstance(exc, sa_exc.DataError | sa_exc.IntegrityError)
    return not isinstance(exc, ValueError | ArithmeticError | LookupError | TypeError)


@dataclass(frozen=True, slots=True)
class _Retry:
    """A record of one partition that failed, and when to try it again."""

    offset: int
    attempts: int
    first_failed: float
    not_before: float
    error: str
    transient: bool


def dead_letter_message(
    where: Location,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]],
    reason: str,
    *,
    keep_bytes: int = DLQ_KEPT_BYTES,
) -> KafkaMessage:
    """The copy of a record for the dead-letter topic: same key, value and headers, plus the
    reason and the origin; a record over :data:`DLQ_MAX_RECORD_BYTES` keeps only the first
    ``keep_bytes`` of its value (and its headers only if they are small), and says so."""
    key, value = key or b"", value or b""
    value_in = value
    kept = [(name, raw or b"") for name, raw in headers]
    header_bytes = sum(len(name) + len(raw) for name, raw in kept)
    size = len(key) + len(value) + header_bytes
    extra = [(ERROR_HEADER, reason.encode()), (ORIGIN_HEADER, str(where).encode())]
    if size > DLQ_MAX_RECORD_BYTES or keep_bytes < DLQ_KEPT_BYTES:
        cut = [f"value truncated to its first {min(keep_bytes, len(value))} of {len(value)} bytes"]
        if header_bytes > DLQ_KEPT_BYTES or keep_bytes == 0:
            cut.append(f"{len(kept)} original headers ({header_bytes} bytes) dropped")
            kept = []
        value = value[:keep_bytes]
        key = key[:DLQ_KEPT_BYTES]
        extra += [
            (TRUNCATED_HEADER, "; ".join(cut).encode()),
            (ORIGINAL_SIZE_HEADER, str(len(value_in)).encode()),
        ]
    return KafkaMessage(key=key, value=value, headers=[*kept, *extra])


class EventConsumer(RoundsThread):
    """Consumes ``topics`` in a consumer group on a daemon thread.

    Args:
        consumer_factory: builds the (subscribed-later) ``kafka.KafkaConsumer``; called on the
            consumer's own thread, because kafka-python consumers are not thread-safe.
        topics: what to subscribe to.
        handlers: event type -> handler.
        dlq: where dead-lettered records are sent (acknowledged before the offset commits).
        processing_delay_s: sleep this long before each event (simulates a slow service).
        poll_timeout_ms: how long one poll waits.
        max_attempts: how often a record whose own content makes the handler fail (see
            :func:`is_transient`) is tried before it is dead-lettered.
        stall_after_s: :meth:`stalled` reports a partition retrying for longer than this.
        clock: monotonic seconds (tests pass a fake).

    A failed record is retried after a backoff (:data:`RETRY_BACKOFF_S` doubling up to
    :data:`MAX_BACKOFF_S`), while only its partition is paused: the others go on.
    """

    def __init__(
        self,
        consumer_factory: Callable[[], Any],
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        dlq: Publisher,
        *,
        processing_delay_s: float = 0.0,
        poll_timeout_ms: int = 200,
        max_attempts: int = 3,
        stall_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer_factory = consumer_factory
        self.topics = list(topics)
        self._handlers = dict(handlers)
        self._dlq = dlq
        self._processing_delay_s = processing_delay_s
        self._poll_timeout_ms = poll_timeout_ms
        super().__init__("event-consumer", stop_timeout_s=15.0)
        self._assigned = threading.Event()
        self._max_attempts = max_attempts
        self._stall_after_s = stall_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._retries: dict[tuple[str, int], _Retry] = {}
        self._rewinder: Any = None
        #: Counters for tests and logs.
        self.handled = 0
        self.dead_lettered = 0

    @property
    def assigned(self) -> bool:
        """True once the group gave this consumer its partitions."""
        return self._assigned.is_set()

    def wait_assigned(self, timeout_s: float) -> bool:
        return self._assigned.wait(timeout_s)

    # -- processing one record (no Kafka consumer needed) ----------------------------------
    def process(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
    ) -> bool:
        """Handle one record; return False if it went to the dead-letter topic.

        Raises:
            Exception: an error that is not the record's fault (retry the record later).
        """
        where = Location(topic, partition=partition, offset=offset)
        try:
            event = from_kafka(key, value, headers)
            event_type = event.get("type")
            handler = self._handlers.get(event_type) if isinstance(event_type, str) else None
            if handler is None:
                raise UnprocessableEvent(
                    f"unknown event type {event_type!r}; expected one of {sorted(self._handlers)}"
                )
            handler(event)
        except (EventDecodeError, UnprocessableEvent) as exc:
            self._dead_letter(where, key, value, headers, f"{type(exc).__name__}: {exc}")
            return False
        self.handled += 1
        return True

    def _dead_letter(
        self,
        where: Location,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes | None]],
        reason: str,
    ) -> None:
        reason = reason[:MAX_REASON_CHARS]
        log.warning("%s: dead-lettered to %s%s: %s", where, where.source, DLQ_SUFFIX, reason)
        message = dead_letter_message(where, key, value, headers, reason)
        try:
            future = self._dlq.send(where.source + DLQ_SUFFIX, message)
            if hasattr(future, "get"):
                future.get(timeout=30)
        except Exception as exc:
            # The producer refuses the copy for its size, which no retry changes: send the
            # copy without value and original headers, which says as much.
            if "TooLarge" not in type(exc).__name__:
                self._renew_fatal_dlq()
                raise
            message = dead_letter_message(where, key, value, headers, reason, keep_bytes=0)
            future = self._dlq.send(where.source + DLQ_SUFFIX, message)
            if hasattr(future, "get"):
                future.get(timeout=30)
        self.dead_lettered += 1

    def _renew_fatal_dlq(self) -> None:
        """Recreate the DLQ's producer if it says it is fatal (the relay, which shares it,
        may be idle and so not notice)."""
        fatal = getattr(self._dlq, "fatal", None)
        renew = getattr(self._dlq, "renew", None)
        if callable(fatal) and callable(renew) and fatal():
            try:
                if renew():
                    log.warning("dead-letter queue: recreated the Kafka producer")
            except Exception as exc:
                log.warning("dead-letter queue: cannot recreate the Kafka producer yet: %s: %s",
                            type(exc).__name__, exc)  # fmt: skip

    # -- the loop ----------------------------------------------------------------------------
    def _run(self) -> None:
        from reference_services.common.recreated import TopicRewinder

        consumer = self._consumer_factory()
        self._rewinder = TopicRewinder(consumer, self.topics)
        consumer.subscribe(self.topics, listener=self._rewinder.listener())
        try:
            while not self._stop.is_set():
                try:
                    self._poll_once(consumer)
                except Exception:
                    # E.g. a commit refused after a rebalance: the group hands the partitions
                    # out again from the committed offsets, so going on is safe.
                    log.exception("consumer of %s: poll round failed; going on", self.topics)
                    self._stop.wait(1.0)
        finally:
            consumer.close(autocommit=False)

    def _poll_once(self, consumer: Any) -> None:
        from kafka.structs import OffsetAndMetadata

        self._resume_due(consumer)
        batches = consumer.poll(timeout_ms=self._poll_timeout_ms)
        # Records fetched at positions of a topic's former life are not processed.
        stale = self._rewinder.check() if self._rewinder is not None else set()
        batches = {tp: records for tp, records in batches.items() if tp not in stale}
        assignment = consumer.assignment()
        if assignment:
            self._assigned.set()
        else:
            self._assigned.clear()
        with self._lock:
            owned = {(tp.topic, tp.partition) for tp in assignment}
            for gone in set(self._retries) - owned:
                del self._retries[gone]
        done: dict[Any, Any] = {}
        for tp, records in batches.items():
            for record in records:
                if self._stop.is_set():
                    break  # not committed: the next owner of the partition gets it again
                if self._processing_delay_s and self._stop.wait(self._processing_delay_s):
                    break
                if not self._attempt(record):
                    # Only this partition waits for its retry; the others go on.
                    consumer.seek(tp, record.offset)
                    consumer.pause(tp)
                    break
                done[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        if done:
            consumer.commit(offsets=done)
            if self._rewinder is not None:
                self._rewinder.committed(done)

    def _resume_due(self, consumer: Any) -> None:
        """Resume the paused partitions whose retry is due."""
        paused = consumer.paused()
        if not paused:
            return
        now = self._clock()
        with self._lock:
            due = [
                tp
                for tp in paused
                if (retry := self._retries.get((tp.topic, tp.partition))) is None
                or retry.not_before <= now
            ]
        if due:
            consumer.resume(*due)

    def _attempt(self, record: Any) -> bool:
        """Process ``record``; True when it is done (handled or dead-lettered), False when it
        is to be retried (its partition waits until :attr:`_Retry.not_before`)."""
        where = (record.topic, record.partition)
        with self._lock:
            retry = self._retries.get(where)
        if retry is not None and retry.offset != record.offset:
            retry = None
        args = (
            record.topic, record.partition, record.offset,
            record.key, record.value, record.headers or [],
        )  # fmt: skip
        try:
            self.process(*args)
        except Exception as exc:
            attempts = (retry.attempts if retry else 0) + 1
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:MAX_REASON_CHARS]
            transient = is_transient(exc)
            at = f"{record.topic}/{record.partition}@{record.offset}"
            if not transient and attempts >= self._max_attempts:
                try:
                    self._dead_letter(
                        Location(record.topic, partition=record.partition, offset=record.offset),
                        record.key, record.value, record.headers or [],
                        f"{reason} (after {attempts} attempts)",
                    )  # fmt: skip
                except Exception as dlq_error:  # the DLQ is unreachable: retry the whole
                    exc, transient = dlq_error, True
                    reason = f"dead-lettering failed: {type(dlq_error).__name__}: {dlq_error}"
                else:
                    with self._lock:
                        self._retries.pop(where, None)
                    return True
            now = self._clock()
            backoff = min(MAX_BACKOFF_S, RETRY_BACKOFF_S * 2 ** (attempts - 1))
            first_failed = retry.first_failed if retry else now
            with self._lock:
                self._retries[where] = _Retry(
                    record.offset, attempts, first_failed, now + backoff, reason, transient
                )
            kind = "transient" if transient else "caused by the record"
            if attempts == 1:
                log.error("%s: handler failed (%s); retrying in %.1fs", at, kind, backoff,
                          exc_info=exc)  # fmt: skip
            else:
                log.warning("%s: attempt %d failed (%s): %s; retrying in %.1fs",
                            at, attempts, kind, reason, backoff)  # fmt: skip
            return False
        with self._lock:
            self._retries.pop(where, None)
        return True

    def retrying(self) -> dict[str, tuple[int, bool, str]]:
        """The records being retried now: ``"topic/partition@offset"`` -> (attempts so far,
        transient?, last error)."""
        with self._lock:
            retries = sorted(self._retries.items())
        return {
            f"{topic}/{partition}@{r.offset}": (r.attempts, r.transient, r.error)
            for (topic, partition), r in retries
        }

    def stalled(self) -> str | None:
        """Why consuming is stuck (a partition has retried a record for longer than
        ``stall_after_s``), or None."""
        now = self._clock()
        with self._lock:
            retries = sorted(self._retries.items())
        for (topic, partition), retry in retries:
            if now - retry.first_failed > self._stall_after_s:
                return (
                    f"consumer retrying {topic}/{partition}@{retry.offset} for "
                    f"{now - retry.first_failed:.0f}s ({retry.attempts} attempts): {retry.error}"
                )[:500]
        return None
