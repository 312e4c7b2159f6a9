"""Small real Atom feed servers on 127.0.0.1, serving documents as the wire format says
(docs/atom.md), and broken in the ways a conformance check must notice."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson
import pytest

from accord.schemas._samples import sample_event

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
CE_ATTRIBUTES = ("specversion", "id", "source", "type", "time", "partitionkey", "dataschema")
CE_NS = "http://cloudevents.io/xmlformat/V1"
#: Another origin on loopback where nothing listens: a reader must not even try it.
FOREIGN = "http://127.0.0.2:9"


@dataclass
class Feed:
    """One service's feed: its events in commit order, paged, and knobs that break it.

    Attributes:
        service: names the feed id ``tag:accord.reference,2026:{service}/feed``.
        page_size: entries per archive page.
        events: the published CloudEvents, position = index + 1.
        links_only: entries carry CloudEvent attributes and a details link, no content.
        omit_id_at: the entry at this position has no ``<id>``.
        mutate_archive: this archive page's bytes change with every read.
        break_prev_at: this archive page's ``prev-archive`` points at a page that is not there.
        loop_prev_at: this archive page's ``prev-archive`` points at itself.
        no_validators: the head has neither ``ETag`` nor ``Last-Modified``.
        ignore_conditional: the head answers 200 to a conditional GET that matches.
        head_body: serve these bytes as the head instead (hostile documents).
        fail_next: answer this many GETs of the head with 503 first.
        foreign_prev_at: this archive page's ``prev-archive`` points at another origin.
        foreign_details: the details links point at another origin.
        no_positions: entries carry no ``ac:position``.
        volatile_etag: the head's ETag changes with every read (as if entries kept coming).
        reads: path -> number of GETs served.
    """

    service: str = "order"
    page_size: int = 5
    events: list[dict[str, Any]] = field(default_factory=list)
    links_only: bool = False
    omit_id_at: int | None = None
    mutate_archive: int | None = None
    break_prev_at: int | None = None
    loop_prev_at: int | None = None
    no_validators: bool = False
    ignore_conditional: bool = False
    head_body: bytes | None = None
    fail_next: int = 0
    foreign_prev_at: int | None = None
    foreign_details: bool = False
    no_positions: bool = False
    volatile_etag: bool = False
    reads: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(event)

    @property
    def full_pages(self) -> int:
        return len(self.events) // self.page_size

    def details(self, event_id: str) -> dict[str, Any] | None:
        return next((e["data"] for e in self.events if e["id"] == event_id), None)

    # -- rendering ---------------------------------------------------------------------------
    def _entry(self, position: int, event: dict[str, Any]) -> str:
        parts = []
        if position != self.omit_id_at:
            parts.append(f"<id>tag:accord.reference,2026:{self.service}/event/{event['id']}</id>")
        parts += [
            f"<title>{escape(event['type'])}</title>",
            f"<category term={quoteattr(event['type'])}/>",
            f"<updated>{event['time']}</updated>",
            f"<published>{event['time']}</published>",
            f'<link rel="alternate" type="application/json" '
            f'href="{FOREIGN if self.foreign_details else ""}/details/{event["id"]}"/>',
        ]
        if self.links_only:
            parts += [
                f"<ce:{name}>{escape(str(event[name]))}</ce:{name}>"
                for name in CE_ATTRIBUTES
                if name in event
            ]
        else:
            content = escape(orjson.dumps(event).decode())
            parts.append(f'<content type="application/cloudevents+json">{content}</content>')
        if not self.no_positions:
            parts.append(f'<ac:position xmlns:ac="urn:accord:feed">{position}</ac:position>')
        return "<entry>" + "".join(parts) + "</entry>"

    def document(self, page: int | None, reads: int) -> bytes:
        """The head (``page`` None) or archive page ``page``, as the server sends it."""
        size = self.page_size
        full = self.full_pages
        if page is None:
            first, last = full * size + 1, len(self.events)
        else:
            first, last = (page - 1) * size + 1, page * size
        events = self.events[first - 1 : last]
        updated = events[-1]["time"] if events else "2026-01-01T00:00:00.000000Z"
        title = f"{self.service} events"
        if page is not None and page == self.mutate_archive:
            title += f" (read {reads})"
        links = ['<link rel="current" href="/feed"/>']
        if page is None:
            links.append('<link rel="self" href="/feed"/>')
            if full:
                links.append(f'<link rel="prev-archive" href="/feed/archive/{full}"/>')
        else:
            links.append(f'<link rel="self" href="/feed/archive/{page}"/>')
            if page == self.foreign_prev_at:
                links.append(f'<link rel="prev-archive" href="{FOREIGN}/feed/archive/{page - 1}"/>')
            elif page == self.break_prev_at:
                links.append('<link rel="prev-archive" href="/feed/archive/999"/>')
            elif page == self.loop_prev_at:
                links.append(f'<link rel="prev-archive" href="/feed/archive/{page}"/>')
            elif page > 1:
                links.append(f'<link rel="prev-archive" href="/feed/archive/{page - 1}"/>')
            following = f"/feed/archive/{page + 1}" if page + 1 <= full else "/feed"
            links.append(f'<link rel="next-archive" href="{following}"/>')
        archive = "<fh:archive/>" if page is not None else ""
        namespaces = f'xmlns="{ATOM}" xmlns:fh="http://purl.org/syndication/history/1.0"'
        if self.links_only:
            namespaces += f' xmlns:ce="{CE_NS}"'
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><feed {namespaces}>'
            f"<id>tag:accord.reference,2026:{self.service}/feed</id>"
            f"<title>{escape(title)}</title><updated>{updated}</updated>"
            f"<author><name>{self.service}</name></author>{archive}{''.join(links)}"
            + "".join(self._entry(first + i, e) for i, e in enumerate(events))
            + "</feed>"
        )
        return body.encode()

    def newest_time(self) -> datetime:
        if not self.events:
            return datetime(2026, 1, 1, tzinfo=UTC)
        return datetime.fromisoformat(self.events[-1]["time"])


def _handler(feed: Feed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with feed.lock:
                reads = feed.reads[path] = feed.reads.get(path, 0) + 1
                if path.startswith("/details/"):
                    found = feed.details(path.rsplit("/", 1)[1])
                    if found is None:
                        self._send(404, b"{}", {"Content-Type": "application/json"})
                    else:
                        self._send(200, orjson.dumps(found), {"Content-Type": "application/json"})
                    return
                if path == "/feed":
                    self._head()
                    return
                if path.startswith("/feed/archive/"):
                    number = path.rsplit("/", 1)[1]
                    if not number.isdigit() or not 1 <= int(number) <= feed.full_pages:
                        self._send(404, b"not a full page", {"Content-Type": "text/plain"})
                        return
                    body = feed.document(int(number), reads)
                    self._send(
                        200,
                        body,
                        {
                            "Content-Type": ATOM_TYPE,
                            "ETag": '"' + hashlib.sha256(body).hexdigest()[:16] + '"',
                            "Last-Modified": format_datetime(feed.newest_time(), usegmt=True),
                            "Cache-Control": "public, max-age=31536000, immutable",
                        },
                    )
                    return
            self._send(404, b"no such path", {"Content-Type": "text/plain"})

        def _head(self) -> None:
            if feed.fail_next > 0:
                feed.fail_next -= 1
                self._send(503, b"restarting", {"Content-Type": "text/plain"})
                return
            if feed.head_body is not None:
                self._send(200, feed.head_body, {"Content-Type": ATOM_TYPE})
                return
            body = feed.document(None, 0)
            etag = f'"{len(feed.events)}"'
            if feed.volatile_etag:
                etag = f'"{len(feed.events)}-{feed.reads["/feed"]}"'
            modified = format_datetime(feed.newest_time().replace(microsecond=0), usegmt=True)
            headers = {"Content-Type": ATOM_TYPE, "Cache-Control": "no-cache"}
            if not feed.no_validators:
                headers.update({"ETag": etag, "Last-Modified": modified})
                if not feed.ignore_conditional and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self._send(200, body, headers)

    return Handler


@dataclass
class FeedServer:
    feed: Feed
    url: str


@pytest.fixture
def serve_feed() -> Iterator[Callable[[Feed], FeedServer]]:
    """Serves feeds on free 127.0.0.1 ports until the test ends."""
    servers: list[ThreadingHTTPServer] = []

    def serve(feed: Feed) -> FeedServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(feed))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return FeedServer(feed, f"http://127.0.0.1:{server.server_address[1]}/feed")

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def events_of(event_type: str, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` valid events of one type, in time order."""
    rng = random.Random(seed)
    events = [sample_event(event_type, rng) for _ in range(count)]
    return sorted(events, key=lambda e: e["time"])


@pytest.fixture
def order_feed() -> Feed:
    """A conformant order feed: 12 events, pages of 5 (two archive pages and a head of 2)."""
    return Feed(events=events_of("order.accepted", 12))


def consistent_feeds(orders: int, page_size: int = 5, lag_s: float = 1.0) -> dict[str, Feed]:
    """Order, shipping and invoicing feeds where every order has its delivery and invoice."""
    from datetime import timedelta

    from accord.events import rfc3339

    rng = random.Random(7)
    feeds = {
        "order": Feed("order", page_size),
        "shipping": Feed("shipping", page_size),
        "invoicing": Feed("invoicing", page_size),
    }
    for _ in range(orders):
        order = sample_event("order.accepted", rng)
        later = rfc3339(datetime.fromisoformat(order["time"]) + timedelta(seconds=lag_s))
        feeds["order"].events.append(order)
        for service, kind in (("shipping", "delivery.created"), ("invoicing", "invoice.created")):
            event = sample_event(kind, rng)
            event["partitionkey"] = event["data"]["orderId"] = order["partitionkey"]
            event["time"] = event["data"]["createdAt"] = later
            feeds[service].events.append(event)
    for feed in feeds.values():
        feed.events.sort(key=lambda e: e["time"])
    return feeds
