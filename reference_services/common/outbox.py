"""The transactional outbox and its relay.

A service writes its business row and an outbox row (the structured CloudEvent) in one
transaction. The relay reads unsent outbox rows in id order, publishes them and marks them
sent only after the broker acknowledged each one. A crash after the commit and before the
acknowledgement leaves the row unsent, so the next relay publishes it again: delivery is
at least once, and consumers deduplicate on the order id (and may on the CloudEvent id,
which is stable across re-publication because it is stored in the row).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from accord.events import KafkaMessage, to_kafka
from reference_services.common.db import ID_TYPE, UTCDateTime
from reference_services.common.rounds import RoundsThread

__all__ = [
    "KafkaPublisher",
    "Outbox",
    "OutboxRelay",
    "PendingRecord",
    "Publisher",
    "outbox_table",
]

log = logging.getLogger(__name__)

#: The longest wait between two failed rounds of the relay.
MAX_BACKOFF_S = 10.0
#: Failed rounds in a row after which the relay recreates its producer even if it does not
#: say it is fatal: a producer of a broker that went away and came back empty waits for
#: topics that are gone, and the new one recreates them. Every failed round: a producer is
#: cheap, and the backoff bounds how often.
RENEW_AFTER_FAILURES = 1


def outbox_table(metadata: MetaData, name: str) -> Table:
    """The outbox table of one service (named per service so services may share a database)."""
    return Table(
        name,
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(249), nullable=False),
        Column("event", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("sent_at", UTCDateTime(), nullable=True, index=True),
    )


class Outbox:
    """Adds events to the outbox inside the caller's session (and so its transaction)."""

    def __init__(self, session: Session, table: Table) -> None:
        self._session = session
        self._table = table

    def add(self, topic: str, event: Mapping[str, Any]) -> None:
        """Store a structured CloudEvent to be published to ``topic``."""
        self._session.execute(
            self._table.insert().values(
                event_id=str(event["id"]),
                topic=topic,
                event=orjson.dumps(event).decode(),
                created_at=datetime.now(UTC),
            )
        )


class Publisher(Protocol):
    """Sends Kafka records; ``send`` returns a future that resolves once the broker acked."""

    def send(self, topic: str, message: KafkaMessage) -> Future[Any] | Any: ...


class KafkaPublisher:
    """A :class:`Publisher` on a ``kafka.KafkaProducer`` (thread-safe, shared by relay and DLQ).

    Args:
        producer: the producer to send with.
        factory: builds a replacement producer for :meth:`renew` (without one, a producer in
            a fatal state stays in it).
    """

    def __init__(self, producer: Any, factory: Callable[[], Any] | None = None) -> None:
        self.producer = producer
        self._factory = factory
        self._lock = threading.Lock()
        #: How often :meth:`renew` replaced the producer.
        self.renewals = 0

    def send(self, topic: str, message: KafkaMessage) -> Any:
        with self._lock:
            producer = self.producer
        return producer.send(
            topic, key=message.key, value=message.value, headers=list(message.headers)
        )

    def fatal(self) -> bool:
        """True when the producer can never send again (e.g. an idempotent producer whose id
        a restarted broker does not know: kafka-python aborts every later batch)."""
        manager = getattr(self.producer, "_transaction_manager", None)
        has_fatal_error = getattr(manager, "has_fatal_error", None)
        return bool(has_fatal_error()) if callable(has_fatal_error) else False

    def renew(self) -> bool:
        """Replace the producer by a new one from the factory; False without a factory.

        Raises:
            Exception: the factory's error (broker still away); the old producer is kept.
        """
        if self._factory is None:
            return False
        fresh = self._factory()
        with self._lock:
            old, self.producer = self.producer, fresh
            self.renewals += 1
        _force_close(old)
        return True

    def close(self) -> None:
        with self._lock:
            producer = self.producer
        producer.close(timeout=5)


def _force_close(producer: Any) -> None:
    """Close a replaced producer without waiting for what it still holds (the relay sends
    those rows again). kafka-python's ``close`` flushes first and raises if that times out,
    leaving the producer open (and its ``__del__`` raising later): stop its sender then."""
    try:
        producer.close(timeout=0)
        return
    except Exception:
        log.debug("closing the replaced producer failed; forcing it", exc_info=True)
    sender = getattr(producer, "_sender", None)
    if sender is not None:
        sender.force_close()
    if hasattr(producer, "_closed"):
        producer._closed = True


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """One unsent outbox row."""

    id: int
    topic: str
    event: dict[str, Any]


class OutboxRelay(RoundsThread):
    """Publishes unsent outbox rows; runs as a daemon thread between :meth:`start` and :meth:`stop`.

    Args:
        engine: the service's database.
        table: its outbox table.
        publisher: where records go.
        poll_interval_s: how long to wait for :meth:`wake` before looking again.
        batch_size: rows per round.
        ack_timeout_s: how long to wait for the broker to acknowledge one record.
        topic_names: renames topics at publish time (tests run on unique topic names).
        stall_after_s: :meth:`stalled` reports the outbox once its oldest unsent row is older.

    A failed round is retried after a backoff (0.5 s doubling up to :data:`MAX_BACKOFF_S`).
    When the publisher reports its producer fatal, or after :data:`RENEW_AFTER_FAILURES`
    failed rounds in a row, the relay asks the publisher to :meth:`KafkaPublisher.renew` it.
    """

    def __init__(
        self,
        engine: Engine,
        table: Table,
        publisher: Publisher,
        *,
        poll_interval_s: float = 0.2,
        batch_size: int = 200,
        ack_timeout_s: float = 5.0,
        topic_names: Mapping[str, str] | None = None,
        stall_after_s: float = 30.0,
    ) -> None:
        self._topic_names = dict(topic_names or {})
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._ack_timeout_s = ack_timeout_s
        super().__init__(f"outbox-relay-{table.name}")
        self._stall_after_s = stall_after_s
        #: Records published (acknowledged) by this relay so far.
        self.published = 0
        #: Failed rounds in a row, and the last failure (``Type: message``), for health.
        self.failures = 0
        self.last_error: str | None = None

    # -- one round, usable without the thread (tests drive it directly) -----------------
    def pending(self) -> list[PendingRecord]:
        """Unsent rows, oldest first (at most one batch)."""
        t = self._table
        query = (
            select(t.c.id, t.c.topic, t.c.event)
            .where(t.c.sent_at.is_(None))
            .order_by(t.c.id)
            .limit(self._batch_size)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [PendingRecord(int(r.id), r.topic, orjson.loads(r.event)) for r in rows]

    def stalled(self, now: datetime | None = None) -> str | None:
        """Why the outbox is not draining (its oldest unsent row is older than the stall
        threshold), or None when it is."""
        t = self._table
        query = select(func.min(t.c.created_at), func.count()).where(t.c.sent_at.is_(None))
        with self._engine.connect() as conn:
            oldest, unsent = conn.execute(query).one()
        if oldest is None:
            return None
        age = ((now or datetime.now(UTC)) - oldest).total_seconds()
        if age <= self._stall_after_s:
            return None
        reason = f"outbox is not draining: {unsent} unsent rows, the oldest {age:.0f}s old"
        if self.last_error is not None:
            reason += f"; last error: {self.last_error}"
        return reason[:500]

    def publish_pending(
        self, *, before_ack: Callable[[Sequence[PendingRecord]], None] | None = None
    ) -> int:
        """Publish one batch of unsent rows and mark the acknowledged ones sent.

        Args:
            before_ack: called after the records were handed to the producer and before the
                acknowledgements are awaited (tests use it to simulate a crash there).

        Returns:
            How many rows were marked sent.

        Raises:
            Exception: the first publish error, after marking the rows acknowledged before it.
        """
        records = self.pending()
        if not records:
            return 0
        futures = [
            (r, self._publisher.send(self._topic_names.get(r.topic, r.topic), to_kafka(r.event)))
            for r in records
        ]
        if before_ack is not None:
            before_ack(records)
        acked: list[int] = []
        error: BaseException | None = None
        for record, future in futures:
            try:
                if hasattr(future, "get"):
                    future.get(timeout=self._ack_timeout_s)
                elif isinstance(future, Future):
                    future.result(timeout=self._ack_timeout_s)
            except Exception as exc:  # broker refused or timed out: leave it for the next round
                error = exc
                break
            acked.append(record.id)
        if acked:
            with self._engine.begin() as conn:
                conn.execute(
                    update(self._table)
                    .where(self._table.c.id.in_(acked))
                    .values(sent_at=datetime.now(UTC))
                )
            self.published += len(acked)
        if error is not None:
            raise error
        return len(acked)

    # -- the thread (start, stop and wake: RoundsThread) ------------------------------------
    def _run(self) -> None:
        name = self._table.name
        while not self._stop.is_set():
            try:
                sent = self.publish_pending()
            except Exception as exc:
                self._failed(exc)
                continue
            if self.failures:
                log.warning("outbox relay %s: publishing again after %d failed rounds",
                            name, self.failures)  # fmt: skip
                self.failures, self.last_error = 0, None
            if sent == 0:
                self._wake.wait(self._poll_interval_s)
                self._wake.clear()

    def _failed(self, exc: Exception) -> None:
        """Log a failed round, renew a dead producer, wait the backoff."""
        name = self._table.name
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        if self.failures == 1:
            log.exception("outbox relay %s: publishing failed; retrying", name)
        else:
            log.warning("outbox relay %s: publishing failed %d rounds in a row: %s",
                        name, self.failures, self.last_error)  # fmt: skip
        fatal = getattr(self._publisher, "fatal", None)
        renew = getattr(self._publisher, "renew", None)
        if renew is not None and (
            (callable(fatal) and fatal()) or self.failures % RENEW_AFTER_FAILURES == 0
        ):
            try:
                if renew():
                    log.warning("outbox relay %s: recreated the Kafka producer", name)
            except Exception as renew_error:
                log.warning("outbox relay %s: cannot recreate the Kafka producer yet: %s: %s",
                            name, type(renew_error).__name__, renew_error)  # fmt: skip
        backoff = min(MAX_BACKOFF_S, 0.5 * 2 ** (self.failures - 1))
        self._stop.wait(backoff)
