"""The Atom poller: what shipping and invoicing run instead of a Kafka consumer.

One round (:meth:`FeedPoller.poll_once`):

1. ``GET`` the head page with ``If-None-Match``/``If-Modified-Since`` from the last complete
   round; a 304 ends the round.
2. On a 200, read the position processed last (from the poller's own database, so a restart
   resumes exactly there), and walk ``prev-archive`` back until a page reaches it.
3. Process every entry after that position forward in feed order. The handler commits the
   business row (delivery, invoice) and the new position in ONE transaction; an entry that
   cannot be processed goes to the dead-letter table together with the position, again in one
   transaction. Positions are never compared with times, so an entry appended in the same
   second as the last date the poller saw is not filtered out.

A page that cannot be trusted (not XML, DTD/entities, too large, a ``prev-archive`` cycle or
a chain that does not go back in positions, another feed's page) is refused with one log
line; the round ends, the validators are forgotten, and the next round tries again. Network
and database errors do the same. The poller never stops on bad input.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reference_services.common.atom.parse import (
    DEFAULT_MAX_BYTES,
    HostileFeed,
    Page,
    PageEntry,
    parse_page,
    read_bounded,
)
from reference_services.common.db import ID_TYPE, UTCDateTime
from reference_services.common.errors import UnprocessableEvent
from reference_services.common.rounds import RoundsThread

__all__ = ["FeedPoller", "PollerTables", "Position", "poller_tables", "with_position"]

log = logging.getLogger(__name__)

ATOM_ACCEPT = "application/atom+xml"
LINKS_ACCEPT = 'application/atom+xml; profile="urn:accord:feed:links"'
DETAILS_MAX_BYTES = 1024 * 1024

#: A handler processes a structured CloudEvent; it must call ``record(session)`` inside the
#: transaction it commits, so the position commits with the business rows.
Handler = Callable[[dict[str, Any], Callable[[Session], None]], object]


def with_position(uow_class: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass of a SQLAlchemy unit of work whose commit also writes the feed position.

    Set ``uow.record_position`` to the poller's ``record`` before use: the position row is
    updated in the session just before it commits, so the delivery (or invoice), its outbox
    row and the position are one transaction. A rolled-back commit (a concurrent duplicate)
    rolls the position back with it.
    """

    class PositionedUnitOfWork(uow_class):  # type: ignore[misc,valid-type]
        record_position: Callable[[Session], None] | None = None

        def commit(self) -> None:
            if self.record_position is not None:
                self.record_position(self.session)
            super().commit()

    return PositionedUnitOfWork


@dataclass(frozen=True, slots=True)
class PollerTables:
    positions: Table
    dead_letters: Table


def poller_tables(metadata: MetaData, prefix: str) -> PollerTables:
    """``{prefix}_feed_positions`` and ``{prefix}_feed_dead_letters``."""
    positions = Table(
        f"{prefix}_feed_positions",
        metadata,
        # The feed's Atom id, not its URL: the order service may come back on another port.
        Column("feed_id", String(400), primary_key=True),
        Column("position", Integer, nullable=False),
        Column("entry_id", String(400), nullable=True),
        Column("page", String(1000), nullable=True),
        Column("updated_at", UTCDateTime(), nullable=False),
    )
    dead_letters = Table(
        f"{prefix}_feed_dead_letters",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("feed_id", String(400), nullable=False),
        Column("position", Integer, nullable=True),
        Column("entry_id", String(400), nullable=False),
        Column("page", String(1000), nullable=False),
        Column("reason", Text, nullable=False),
        Column("entry", Text, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
    )
    return PollerTables(positions, dead_letters)


@dataclass(frozen=True, slots=True)
class Position:
    position: int
    entry_id: str | None
    page: str | None


class _RoundFailed(Exception):
    """The round cannot go on (network, HTTP status); retried next round."""


class _Stopping(Exception):
    """The poller is stopping in the middle of a round."""


class FeedPoller(RoundsThread):
    """Polls one Atom feed on a daemon thread between :meth:`start` and :meth:`stop`.

    Args:
        engine: the poller's own database.
        tables: its position and dead-letter tables (see :func:`poller_tables`).
        feed_url: the head page, e.g. ``http://127.0.0.1:8000/feed``.
        handler: see :data:`Handler`.
        interval_s: pause between rounds.
        processing_delay_s: wait this long before each entry (simulates a slow service).
        max_bytes: the largest page accepted.
        links_only: ask for the "links only" representation (entries without content).
        timeout_s: connect/read timeout of one request.
        page_deadline_s: the longest one page may take to arrive (against a trickle).
        stall_after_s: :meth:`stalled` reports a poller without a good round for this long.
        session: the HTTP session (tests pass one to count requests).
        clock: for the timestamps of the position and dead-letter rows.
    """

    def __init__(
        self,
        engine: Engine,
        tables: PollerTables,
        feed_url: str,
        handler: Handler,
        *,
        interval_s: float = 0.1,
        processing_delay_s: float = 0.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        links_only: bool = False,
        timeout_s: float = 10.0,
        page_deadline_s: float = 30.0,
        stall_after_s: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._engine = engine
        self._tables = tables
        self.feed_url = feed_url
        self._handler = handler
        self._interval_s = interval_s
        self._processing_delay_s = processing_delay_s
        self._max_bytes = max_bytes
        self._timeout = (min(2.0, timeout_s), timeout_s)
        self._page_deadline_s = page_deadline_s
        self._stall_after_s = stall_after_s
        self._http = session or requests.Session()
        self._http.headers["Accept"] = LINKS_ACCEPT if links_only else ATOM_ACCEPT
        self._http.headers["Accept-Encoding"] = "identity"  # see parse.read_bounded
        self._clock = clock or (lambda: datetime.now(UTC))
        self._validators: dict[str, str] = {}
        self._last_problem: str | None = None
        self._failing_since: float | None = None
        self._failing_how = ""
        super().__init__("atom-poller", stop_timeout_s=15.0)
        self._polled = threading.Event()
        #: Counters for tests and logs.
        self.processed = 0
        self.dead_lettered = 0
        self.rejected = 0
        self.requests = 0

    # -- position --------------------------------------------------------------------------
    def position(self, feed_id: str) -> Position:
        """The last position processed of ``feed_id`` (0 before the first entry)."""
        t = self._tables.positions
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.c.position, t.c.entry_id, t.c.page).where(t.c.feed_id == feed_id)
            ).first()
        if row is None:
            try:
                with self._engine.begin() as conn:
                    conn.execute(
                        insert(t).values(feed_id=feed_id, position=0, updated_at=self._clock())
                    )
            except IntegrityError:
                pass  # created concurrently
            return Position(0, None, None)
        return Position(int(row.position), row.entry_id, row.page)

    def _record(self, feed_id: str, entry: PageEntry, page: str) -> Callable[[Any], None]:
        t = self._tables.positions
        statement = (
            update(t)
            .where(t.c.feed_id == feed_id)
            .values(position=entry.position, entry_id=entry.id, page=page)
        )

        def record(session: Any) -> None:
            session.execute(statement.values(updated_at=self._clock()))

        return record

    # -- one round ---------------------------------------------------------------------------
    def poll_once(self) -> int:
        """One round; return how many entries were processed or dead-lettered.

        Never raises for bad input, the network or the database: those end the round with
        one log line (repeats of the same problem are logged at debug level).
        """
        try:
            done = self._round()
        except _Stopping:
            return 0  # stop() interrupted the processing delay; the entry waits for next time
        except HostileFeed as exc:
            self.rejected += 1
            self._failing("refusing the feed's pages")
            self._problem(f"refused a page of {self.feed_url}: {exc}")
            return 0
        except (_RoundFailed, requests.RequestException) as exc:
            self._failing("the feed is not readable")
            self._problem(f"{self.feed_url} not readable: {str(exc).splitlines()[0][:300]}")
            return 0
        except Exception as exc:  # the database, a handler's bug: retry the entry next round
            self._failing("processing fails")
            self._validators.clear()
            self._problem(
                f"processing {self.feed_url} failed, retrying: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
            )
            return 0
        self._polled.set()
        self._last_problem = None
        self._failing_since = None
        return done

    def _failing(self, how: str) -> None:
        if self._failing_since is None or self._failing_how != how:
            self._failing_since, self._failing_how = time.monotonic(), how
        self._validators.clear()

    def stalled(self, after_s: float | None = None) -> str | None:
        """Why the poller is stuck: no round has succeeded for longer than ``after_s`` (by
        default ``stall_after_s``): the order feed unreachable or refused, or processing
        failing. None while it works."""
        after_s = self._stall_after_s if after_s is None else after_s
        since = self._failing_since
        failing_s = 0.0 if since is None else time.monotonic() - since
        if since is None or failing_s <= after_s:
            return None
        return f"atom poller: {self._failing_how} ({self.feed_url}) for {failing_s:.0f}s"

    def _problem(self, message: str) -> None:
        self._validators.clear()
        self._polled.set()
        level = logging.DEBUG if message == self._last_problem else logging.WARNING
        log.log(level, "atom poller: %s", message)
        self._last_problem = message

    def _get(self, url: str, *, conditional: bool = False, max_bytes: int) -> tuple[int, Any]:
        headers = dict(self._validators) if conditional else {}
        self.requests += 1
        with self._http.get(url, headers=headers, timeout=self._timeout, stream=True) as resp:
            if resp.status_code == 304:
                # Consumed (empty), so the connection goes back to the pool: an idle poll
                # costs one request on a kept-alive connection, not a TCP handshake.
                resp.content  # noqa: B018
                return 304, resp
            if resp.status_code != 200:
                with contextlib.suppress(HostileFeed):
                    read_bounded(resp, 65536, 5.0)  # a short error body keeps the connection
                raise _RoundFailed(f"GET {url}: HTTP {resp.status_code}")
            body = read_bounded(resp, max_bytes, self._page_deadline_s)
            return 200, (resp, body)

    def _page(self, url: str) -> tuple[Page, Any]:
        _, (resp, body) = self._get(url, max_bytes=self._max_bytes)
        return parse_page(body, resp.url or url), resp

    def _round(self) -> int:
        status, result = self._get(self.feed_url, conditional=True, max_bytes=self._max_bytes)
        if status == 304:
            return 0
        resp, body = result
        head = parse_page(body, self.feed_url)
        last = self.position(head.feed_id)
        pages = self._walk_back(head, last.position)
        newest = max((p for page in pages for p in page.positions()), default=None)
        if newest is not None and newest < last.position:
            # The feed has fewer entries than this poller processed: a new order database
            # behind the same feed id. Nothing is re-read or skipped silently: say so.
            raise _RoundFailed(
                f"feed {head.feed_id} ends at position {newest}, but position {last.position} "
                "was processed already (was the feed reset?)"
            )
        done = 0
        after = last.position
        for page in reversed(pages):
            for entry in page.entries:
                if entry.position is not None and entry.position <= after:
                    continue
                self._process(head.feed_id, page.url, entry)
                done += 1
                if entry.position is not None:
                    after = entry.position
        # Only now: a round that failed half-way must not be hidden by a 304 next time.
        self._validators = {
            name: resp.headers[header]
            for name, header in (("If-None-Match", "ETag"), ("If-Modified-Since", "Last-Modified"))
            if header in resp.headers
        }
        return done

    def _walk_back(self, head: Page, last: int) -> list[Page]:
        """``head`` and the archive pages back to the one holding position ``last + 1``."""
        pages = [head]
        seen = {head.url}
        page = head
        while True:
            positions = page.positions()
            if positions and min(positions) <= last + 1:
                return pages
            older_url = page.links.get("prev-archive")
            if older_url is None:
                return pages
            if older_url in seen:
                raise HostileFeed(f"prev-archive cycle: {page.url} links back to {older_url}")
            if not self._same_origin(older_url):
                raise HostileFeed(f"prev-archive {older_url} leaves the feed's origin")
            seen.add(older_url)
            older, _ = self._page(older_url)
            if older.feed_id != head.feed_id:
                raise HostileFeed(f"{older_url} belongs to feed {older.feed_id!r}")
            older_positions = older.positions()
            newer = [p for q in pages for p in q.positions()]
            floor = min(newer) if newer else None
            if floor is not None and older_positions and max(older_positions) >= floor:
                raise HostileFeed(
                    f"prev-archive {older_url} does not go back (positions up to "
                    f"{max(older_positions)}, the newer page starts at {floor})"
                )
            pages.append(older)
            page = older

    def _process(self, feed_id: str, page: str, entry: PageEntry) -> None:
        if self._processing_delay_s and self._stop.wait(self._processing_delay_s):
            raise _Stopping
        if entry.problem is not None:
            if entry.position is None and self._dead_lettered_before(feed_id, entry):
                return  # no position to move past it: it shows up on every read of its page
            self._dead_letter(feed_id, page, entry, entry.problem)
            return
        event = entry.event if entry.event is not None else self._details(feed_id, page, entry)
        if event is None:
            return  # dead-lettered by _details
        try:
            self._handler(event, self._record(feed_id, entry, page))
        except UnprocessableEvent as exc:
            self._dead_letter(feed_id, page, entry, f"{type(exc).__name__}: {exc}", event)
            return
        # An entry already processed (the handler found its delivery and committed nothing)
        # still moves the position, in a transaction of its own.
        if self.position(feed_id).position < (entry.position or 0):
            with Session(self._engine) as session, session.begin():
                self._record(feed_id, entry, page)(session)
        self.processed += 1

    def _same_origin(self, url: str) -> bool:
        mine, other = urlsplit(self.feed_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (other.scheme, other.netloc)

    def _dead_lettered_before(self, feed_id: str, entry: PageEntry) -> bool:
        t = self._tables.dead_letters
        query = select(t.c.id).where(t.c.feed_id == feed_id, t.c.entry_id == (entry.id or "(none)"))
        with self._engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def _details(self, feed_id: str, page: str, entry: PageEntry) -> dict[str, Any] | None:
        """The CloudEvent of a links-only entry: its attributes plus the details as data."""
        assert entry.details is not None
        if not self._same_origin(entry.details):
            # A feed must not make the poller fetch other hosts (SSRF).
            self._dead_letter(
                feed_id, page, entry, f"details link {entry.details} leaves the feed's origin"
            )
            return None
        self.requests += 1
        with self._http.get(
            entry.details,
            headers={"Accept": "application/json"},
            timeout=self._timeout,
            stream=True,
        ) as resp:
            if resp.status_code in (404, 410):
                reason = f"details {entry.details}: HTTP {resp.status_code}"
            elif resp.status_code != 200:
                raise _RoundFailed(f"GET {entry.details}: HTTP {resp.status_code}")
            else:
                try:
                    data = orjson.loads(read_bounded(resp, DETAILS_MAX_BYTES))
                except (orjson.JSONDecodeError, HostileFeed) as exc:
                    reason = f"details {entry.details}: {exc}"
                else:
                    return {**entry.attributes, "data": data}
        self._dead_letter(feed_id, page, entry, reason)
        return None

    def _dead_letter(
        self,
        feed_id: str,
        page: str,
        entry: PageEntry,
        reason: str,
        event: dict[str, Any] | None = None,
    ) -> None:
        log.warning("atom poller: %s entry %s dead-lettered: %s", page, entry.id, reason)
        body = event if event is not None else (entry.event or entry.attributes or None)
        with Session(self._engine) as session, session.begin():
            session.execute(
                insert(self._tables.dead_letters).values(
                    feed_id=feed_id,
                    position=entry.position,
                    entry_id=entry.id or "(none)",
                    page=page,
                    reason=reason[:2000],
                    entry=orjson.dumps(body).decode() if body is not None else None,
                    created_at=self._clock(),
                )
            )
            if entry.position is not None:
                self._record(feed_id, entry, page)(session)
        self.dead_lettered += 1

    # -- the thread ------------------------------------------------------------------------
    @property
    def assigned(self) -> bool:
        """True once a first round ended (the service's health waits for it)."""
        return self._polled.is_set()

    def stop(self, timeout_s: float | None = None) -> None:
        super().stop(timeout_s)
        self._http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            # After a round that found entries, look again at once (more may have come while
            # processing, as a Kafka consumer's next poll returns at once); idle, wait.
            if self.poll_once() == 0:
                self._stop.wait(self._interval_s)
