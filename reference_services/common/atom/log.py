"""The feed log: every published event at a position 1, 2, 3, ... in COMMIT order.

A service's business transaction writes an outbox row, as for Kafka. One relay (this
module's :class:`FeedRelay`) moves committed outbox rows into the feed log: in ONE
transaction it marks the rows sent and inserts them at the next positions. An outbox id is
assigned at INSERT time, so two transactions may commit in the other order than their ids;
a feed position is assigned only after the commit, by the relay, so a reader that has seen
position N will find every later event above N. A crash before the relay's commit leaves the
rows unsent (moved again later); after it they are in the log exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from reference_services.common.db import UTCDateTime
from reference_services.common.rounds import RoundsThread

__all__ = ["FeedEntry", "FeedLog", "FeedRelay", "feed_log_table", "fix_page_size"]

log = logging.getLogger(__name__)


def feed_log_table(metadata: MetaData, name: str) -> Table:
    """The feed-log table of one service; ``position`` is assigned by the relay, never reused."""
    return Table(
        name,
        metadata,
        # Not autoincrement: the relay assigns max+1 inside its transaction, and the primary
        # key refuses a second relay that computed the same number.
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("event", Text, nullable=False),
        Column("href", String(400), nullable=False),
        Column("appended_at", UTCDateTime(), nullable=False),
    )


def fix_page_size(engine: Engine, feed: Table, page_size: int) -> None:
    """Create the feed tables and record the page size; refuse a different one later.

    Archive page n holds positions (n-1)P+1 .. nP: serving an existing feed log with another
    P would change every full page, which caches keep for a year.

    Raises:
        accord.errors.UsageError: the feed log was served with another page size.
    """
    from accord.errors import UsageError

    meta = Table(
        f"{feed.name}_settings",
        feed.metadata,
        Column("name", String(64), primary_key=True),
        Column("value", String(200), nullable=False),
        extend_existing=True,
    )
    feed.metadata.create_all(engine)
    with engine.begin() as conn:
        stored = conn.execute(select(meta.c.value).where(meta.c.name == "page_size")).scalar()
        if stored is None:
            conn.execute(meta.insert().values(name="page_size", value=str(page_size)))
        elif int(stored) != page_size:
            raise UsageError(
                f"feed page size {page_size} differs from {stored}, the size this database's "
                f"feed ({feed.name}) is paged with; pass --feed-page-size {stored}"
            )


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One row of the feed log."""

    position: int
    event: dict[str, Any]
    href: str
    appended_at: datetime

    @property
    def event_id(self) -> str:
        return str(self.event["id"])


@dataclass(frozen=True, slots=True)
class Tail:
    """The newest position of a feed log and when it was appended (None: empty log)."""

    position: int
    event_id: str
    appended_at: datetime


class FeedLog:
    """Reads one service's feed log (positions, pages)."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def tail(self) -> Tail | None:
        t = self.table
        query = select(t.c.position, t.c.event_id, t.c.appended_at).order_by(t.c.position.desc())
        with self.engine.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        if row is None:
            return None
        return Tail(int(row.position), str(row.event_id), row.appended_at)

    def entries(self, first: int, last: int) -> list[FeedEntry]:
        """Entries at positions ``first..last`` (inclusive), ascending."""
        t = self.table
        query = (
            select(t.c.position, t.c.event, t.c.href, t.c.appended_at)
            .where(t.c.position >= first, t.c.position <= last)
            .order_by(t.c.position)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FeedEntry(int(r.position), orjson.loads(r.event), r.href, r.appended_at) for r in rows
        ]


class FeedRelay(RoundsThread):
    """Appends committed outbox rows to the feed log; a daemon thread between start and stop.

    Args:
        engine: the service's database.
        outbox: its outbox table (the same rows the Kafka relay would publish).
        feed: its feed-log table.
        href: the details link of an event (``/orders/{id}``, ...), relative to the service.
        clock: when an entry is appended (``Last-Modified``); tests inject one.
        poll_interval_s: how long to wait for :meth:`wake` before looking again.
        batch_size: outbox rows per transaction.
        stall_after_s: :meth:`stalled` reports unsent outbox rows older than this.
    """

    def __init__(
        self,
        engine: Engine,
        outbox: Table,
        feed: Table,
        href: Callable[[Mapping[str, Any]], str],
        *,
        clock: Callable[[], datetime] | None = None,
        poll_interval_s: float = 0.2,
        batch_size: int = 200,
        stall_after_s: float = 30.0,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._feed = feed
        self._href = href
        self._clock = clock or (lambda: datetime.now(UTC))
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._stall_after_s = stall_after_s
        super().__init__(f"feed-relay-{feed.name}")
        #: Entries appended by this relay so far.
        self.appended = 0

    def append_pending(self) -> int:
        """Move one batch of committed, unsent outbox rows into the feed log; return how many."""
        o, f = self._outbox, self._feed
        with self._engine.connect() as conn:
            rows: Sequence[Any] = conn.execute(
                select(o.c.id, o.c.event)
                .where(o.c.sent_at.is_(None))
                .order_by(o.c.id)
                .limit(self._batch_size)
            ).all()
        if not rows:
            return 0
        ids = [int(r.id) for r in rows]
        now = self._clock()
        with self._engine.begin() as conn:
            # The UPDATE first: it takes the write lock (SQLite) or the row locks (PostgreSQL)
            # before the position is read, so two relays cannot interleave.
            claimed = conn.execute(
                update(o).where(o.c.id.in_(ids), o.c.sent_at.is_(None)).values(sent_at=now)
            ).rowcount
            if claimed != len(ids):
                raise _Raced(f"{len(ids) - claimed} outbox rows were moved by someone else")
            last = conn.execute(select(func.coalesce(func.max(f.c.position), 0))).scalar_one()
            values = []
            for offset, row in enumerate(rows, start=1):
                event = orjson.loads(row.event)
                values.append(
                    {
                        "position": int(last) + offset,
                        "event_id": str(event["id"]),
                        "event_type": str(event["type"]),
                        "event": row.event,
                        "href": self._href(event),
                        "appended_at": now,
                    }
                )
            conn.execute(f.insert(), values)
        self.appended += len(values)
        return len(values)

    def stalled(self, after_s: float | None = None) -> str | None:
        """Why the outbox is not draining (its oldest unsent row is older than ``after_s``,
        by default the ``stall_after_s`` given)."""
        after_s = self._stall_after_s if after_s is None else after_s
        o = self._outbox
        with self._engine.connect() as conn:
            oldest = conn.execute(select(func.min(o.c.created_at)).where(o.c.sent_at.is_(None)))
            since = oldest.scalar()
        if since is None:
            return None
        if since.tzinfo is None:  # SQLite hands back naive UTC times from an aggregate
            since = since.replace(tzinfo=UTC)
        age = (self._clock() - since).total_seconds()
        if age <= after_s:
            return None
        return f"feed relay {self._feed.name}: oldest unsent outbox row is {age:.0f}s old"

    # -- the thread (start, stop and wake: RoundsThread) ------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before looking, so a wake during the round is not lost.
            self._wake.clear()
            try:
                moved = self.append_pending()
            except (_Raced, IntegrityError, OperationalError) as exc:
                log.warning("feed relay %s: %s; retrying", self._feed.name, str(exc)[:200])
                self._stop.wait(0.2)
                continue
            except Exception:
                log.exception("feed relay %s: appending failed; retrying", self._feed.name)
                self._stop.wait(1.0)
                continue
            if moved == 0:
                self._wake.wait(self._poll_interval_s)


class _Raced(Exception):
    """Another relay moved some of the rows first; the transaction was rolled back."""
