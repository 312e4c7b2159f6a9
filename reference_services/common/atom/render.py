"""Atom 1.0 (RFC 4287) documents of a feed log, paged as RFC 5005 archived feeds.

Built with ElementTree (never by string concatenation), and a pure function of the entries:
an archive page rendered twice is the same bytes, so its ETag never changes.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from reference_services.common.atom.log import FeedEntry

__all__ = [
    "AC",
    "ATOM",
    "CE_CONTENT_TYPE",
    "FH",
    "Document",
    "entry_id",
    "feed_id",
    "render",
]

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"
AC = "urn:accord:feed"
CE_CONTENT_TYPE = "application/cloudevents+json"
TAG = "tag:accord.reference,2026:"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ET.register_namespace("", ATOM)
ET.register_namespace("fh", FH)
ET.register_namespace("ac", AC)


def feed_id(service: str) -> str:
    """``tag:accord.reference,2026:{service}/feed``: the same on every page of the feed."""
    return f"{TAG}{service}/feed"


def entry_id(service: str, event_id: str) -> str:
    """``tag:accord.reference,2026:{service}/event/{cloudevent id}``."""
    return f"{TAG}{service}/event/{event_id}"


def _time(value: str | datetime) -> str:
    moment = parse_time(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Document:
    """One rendered page: its bytes and strong ETag."""

    body: bytes
    etag: str


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _entry(feed: ET.Element, service: str, entry: FeedEntry, *, links_only: bool) -> None:
    event = entry.event
    node = _sub(feed, f"{{{ATOM}}}entry")
    _sub(node, f"{{{ATOM}}}id", entry_id(service, entry.event_id))
    _sub(node, f"{{{ATOM}}}title", str(event["type"]))
    when = _time(str(event["time"]))
    _sub(node, f"{{{ATOM}}}updated", when)
    _sub(node, f"{{{ATOM}}}published", when)
    _sub(node, f"{{{ATOM}}}category", term=str(event["type"]))
    _sub(node, f"{{{ATOM}}}link", rel="alternate", type="application/json", href=entry.href)
    if links_only:
        # The talk's variant: the CloudEvent attributes on the entry, the data behind the link.
        for name, value in event.items():
            if name != "data":
                _sub(node, f"{{{AC}}}{name}", str(value))
    else:
        _sub(
            node,
            f"{{{ATOM}}}content",
            orjson.dumps(event).decode(),
            type=CE_CONTENT_TYPE,
        )
    _sub(node, f"{{{AC}}}position", str(entry.position))


def render(
    service: str,
    entries: Sequence[FeedEntry],
    *,
    links: Sequence[tuple[str, str]],
    archive: bool,
    newest: FeedEntry | None,
    links_only: bool = False,
) -> Document:
    """Render one page.

    Args:
        service: names the feed (ids, title, author).
        entries: the page's entries, ascending positions.
        links: ``(rel, href)`` pairs of the feed element.
        archive: mark the page ``<fh:archive/>``.
        newest: the newest entry of the feed (the head's ``updated`` when it has no entries).
        links_only: the "links only" representation (no content).
    """
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, f"{{{ATOM}}}id", feed_id(service))
    _sub(feed, f"{{{ATOM}}}title", f"{service} events")
    last = entries[-1] if entries else newest
    _sub(feed, f"{{{ATOM}}}updated", _time(str(last.event["time"])) if last else _time(EPOCH))
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", service)
    for rel, href in links:
        _sub(feed, f"{{{ATOM}}}link", rel=rel, href=href)
    if archive:
        _sub(feed, f"{{{FH}}}archive")
    for entry in entries:
        _entry(feed, service, entry, links_only=links_only)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Document(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def parse_time(value: Any) -> datetime:
    """An RFC 3339 text as an aware datetime."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
