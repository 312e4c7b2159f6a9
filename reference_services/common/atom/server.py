"""``GET /feed`` and ``GET /feed/archive/{n}``: a service's feed log over HTTP.

Caching, as RFC 9110/9111 and RFC 5005 want it:

- The head (``/feed``) is ``Cache-Control: no-cache`` with a strong ``ETag`` (a hash of its
  bytes, so it changes with every entry) and ``Last-Modified`` (the second the newest entry
  was appended). ``If-None-Match`` decides when present (RFC 9110 13.1.3).
- ``If-Modified-Since`` alone gets a 304 only when it is LATER than the second of the newest
  entry. HTTP dates have whole seconds: an entry appended in the same second as the date a
  client holds, after its read, would otherwise be hidden behind a 304 (see
  :func:`not_modified_since`).
- A full archive page never changes: ``Cache-Control: public, max-age=31536000, immutable``.
  A page that is not full yet is 404: it does not exist until its bytes are final, and the
  ``next-archive`` link of the newest full page names it all the same (so that page's bytes
  do not change when the next one fills).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine, Table, select

from reference_services.common.atom.log import FeedEntry, FeedLog
from reference_services.common.atom.render import EPOCH, Document, render

__all__ = [
    "ATOM_CONTENT_TYPE",
    "DEAD_LETTERS_LIMIT",
    "LINKS_PROFILE",
    "add_dead_letter_routes",
    "add_feed_routes",
    "dead_letter_cloudevent",
    "not_modified_since",
]

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
#: ``Accept: application/atom+xml; profile="urn:accord:feed:links"`` asks for entries without
#: content (the CloudEvent attributes as ``ac:`` elements, the data behind the details link).
LINKS_PROFILE = "urn:accord:feed:links"
HEAD_CACHE = "no-cache"
#: ``/dead-letters`` serves the newest this many (dead letters are rare; a poller that
#: dead-letters more than this is broken, and the oldest drop off the document).
DEAD_LETTERS_LIMIT = 1000
ARCHIVE_CACHE = "public, max-age=31536000, immutable"


def not_modified_since(since: datetime, newest: datetime) -> bool:
    """May ``If-Modified-Since: since`` get a 304 when the newest entry is from ``newest``?

    Only when ``since`` is after the whole second of ``newest``: an entry appended later in
    that same second carries the same HTTP date, so equality means "maybe changed".
    """
    return since > newest.replace(microsecond=0)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _conditional(
    request: Request, doc: Document, modified: datetime, cache: str, vary: bool
) -> Response:
    headers = {"ETag": doc.etag, "Last-Modified": _http_date(modified), "Cache-Control": cache}
    if vary:
        headers["Vary"] = "Accept"
    inm = request.headers.get("if-none-match")
    ims = request.headers.get("if-modified-since")
    fresh = False
    if inm is not None:
        fresh = _etag_matches(inm, doc.etag)
    elif ims is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            since = None
        fresh = (
            since is not None and since.tzinfo is not None and not_modified_since(since, modified)
        )
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(content=doc.body, media_type=ATOM_CONTENT_TYPE, headers=headers)


def add_feed_routes(app: FastAPI, service: str, feed: FeedLog, *, page_size: int = 50) -> None:
    """Add ``/feed`` and ``/feed/archive/{n}`` to ``app``.

    Args:
        app: the service's FastAPI app.
        service: the feed's name (``order``, ``shipping``, ``invoicing``).
        feed: the service's feed log.
        page_size: entries per archive page (fixed for the life of the feed).
    """
    if page_size < 1:
        raise ValueError("feed page size must be >= 1")

    def links_only(request: Request) -> bool:
        return LINKS_PROFILE in request.headers.get("accept", "")

    def archive_href(n: int) -> str:
        return f"/feed/archive/{n}"

    @app.get("/feed", include_in_schema=False)
    def head(request: Request) -> Any:
        tail = feed.tail()
        last = tail.position if tail else 0
        full = last // page_size
        entries = feed.entries(full * page_size + 1, last) if last > full * page_size else []
        newest = entries[-1] if entries else (feed.entries(last, last)[0] if last else None)
        links = [("self", "/feed"), ("current", "/feed")]
        if full:
            links.append(("prev-archive", archive_href(full)))
        doc = render(
            service,
            entries,
            links=links,
            archive=False,
            newest=newest,
            links_only=links_only(request),
        )
        modified = tail.appended_at if tail else EPOCH
        return _conditional(request, doc, modified, HEAD_CACHE, vary=True)

    @app.get("/feed/archive/{n}", include_in_schema=False)
    def archive(n: int, request: Request) -> Any:
        tail = feed.tail()
        full = (tail.position if tail else 0) // page_size
        if n < 1 or n > full:
            return Response(
                content=f'{{"detail":"archive page {n} does not exist (full pages: 1..{full})"}}',
                status_code=404,
                media_type="application/json",
            )
        entries = feed.entries((n - 1) * page_size + 1, n * page_size)
        links = [("self", archive_href(n)), ("current", "/feed")]
        if n > 1:
            links.append(("prev-archive", archive_href(n - 1)))
        # Always the next page's own URL, never "/feed": the bytes of a full page must not
        # change when the next page fills (it is 404 until then; readers go on at "current").
        links.append(("next-archive", archive_href(n + 1)))
        doc = render(
            service,
            entries,
            links=links,
            archive=True,
            newest=entries[-1],
            links_only=links_only(request),
        )
        return _conditional(request, doc, entries[-1].appended_at, ARCHIVE_CACHE, vary=True)


def dead_letter_cloudevent(row: Any) -> dict[str, Any]:
    """A dead-letter row as the CloudEvent accord reads for a dead-lettered copy: the original
    event (or what the entry carried of it) plus the extension attributes ``deadletterreason``
    and ``deadletterorigin`` (what a Kafka consumer's ``<topic>.dlq`` record carries as the
    ``accord-error`` and ``accord-origin`` headers, see ``accord.events.dead_letter_event``).
    """
    original = orjson.loads(row.entry) if row.entry else None
    event: dict[str, Any] = dict(original) if isinstance(original, dict) else {}
    # An entry that carried no event keeps the attributes a feed entry needs.
    event.setdefault("specversion", "1.0")
    event.setdefault("id", f"dead-letter-{row.id}")
    event.setdefault("type", "(unreadable entry)")
    event.setdefault("time", row.created_at.isoformat().replace("+00:00", "Z"))
    marker = row.position if row.position is not None else row.entry_id
    event["deadletterreason"] = row.reason
    event["deadletterorigin"] = f"{row.page}#position={marker}"
    return event


def add_dead_letter_routes(
    app: FastAPI, service: str, engine: Engine, table: Table, *, limit: int = DEAD_LETTERS_LIMIT
) -> None:
    """Add ``GET /dead-letters``: the poller's dead-letter table as one Atom document.

    Each entry's content is :func:`dead_letter_cloudevent` of a row, ``ac:position`` the
    row's id (ascending, never reused). The document is the head of a feed without archive
    pages (the newest ``limit`` rows), with the same ETag/Last-Modified/304 rules as
    ``/feed``.
    """

    @app.get("/dead-letters", include_in_schema=False)
    def dead_letters(request: Request) -> Any:
        t = table
        with engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.id.desc()).limit(limit)).all()
        entries = [
            FeedEntry(int(r.id), dead_letter_cloudevent(r), "/dead-letters", r.created_at)
            for r in reversed(rows)
        ]
        links = [("self", "/dead-letters"), ("current", "/dead-letters")]
        newest = entries[-1] if entries else None
        doc = render(f"{service}-dead-letters", entries, links=links, archive=False, newest=newest)
        modified = newest.appended_at if newest else EPOCH
        return _conditional(request, doc, modified, HEAD_CACHE, vary=False)
