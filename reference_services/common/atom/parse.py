"""A defensive reader of Atom feed pages: the bytes come from another service, trust nothing.

- Parsed with defusedxml, DTDs forbidden: no external entities (XXE), no entity expansion
  ("billion laughs"), no network or file access while parsing.
- The caller bounds the bytes (:func:`read_bounded`); a page is refused above the limit
  without reading the rest.
- Only the elements a poller needs are read; anything else is ignored (tolerant reader).

Every refusal is a :class:`HostileFeed` with a one-line reason.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import defusedxml
import defusedxml.ElementTree as SafeET
import orjson

from reference_services.common.atom.render import AC, ATOM, CE_CONTENT_TYPE

__all__ = ["HostileFeed", "Page", "PageEntry", "parse_page", "read_bounded"]

#: A head page holds at most one page of entries; 10 MB is generous, 50 MB is an attack.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class HostileFeed(Exception):
    """A page that is refused as a whole: not XML, not Atom, DTD/entities, too big, a cycle."""


@dataclass(frozen=True, slots=True)
class PageEntry:
    """What a poller reads of one entry."""

    id: str
    position: int | None
    #: The structured CloudEvent from ``content``; None in the "links only" representation.
    event: dict[str, Any] | None
    #: CloudEvent attributes carried as ``ac:`` elements (links-only representation).
    attributes: dict[str, str]
    #: The ``alternate`` link, resolved against the page URL.
    details: str | None
    #: Why the entry cannot be used (it is dead-lettered), or None.
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    feed_id: str
    entries: list[PageEntry]
    links: dict[str, str] = field(default_factory=dict)

    def positions(self) -> list[int]:
        return [e.position for e in self.entries if e.position is not None]


def read_bounded(response: Any, max_bytes: int, deadline_s: float = 30.0) -> bytes:
    """Read a streamed ``requests`` response, refusing more than ``max_bytes`` or a body that
    takes longer than ``deadline_s`` (the read timeout bounds each read, not a trickle)."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise HostileFeed(f"page of {int(declared)} bytes refused (limit {max_bytes})")
    chunks: list[bytes] = []
    size = 0
    give_up = time.monotonic() + deadline_s
    # read1 returns what has arrived (iter_content would block for a whole 64 KiB chunk, so
    # a trickle would never reach the deadline check); content stays as sent: the pollers ask
    # for identity encoding, so a compressed "bomb" is refused as not XML, never inflated.
    while chunk := response.raw.read1(65536, decode_content=False):
        size += len(chunk)
        if size > max_bytes:
            raise HostileFeed(f"page larger than {max_bytes} bytes refused")
        if time.monotonic() > give_up:
            raise HostileFeed(f"page still arriving after {deadline_s:g}s ({size} bytes) refused")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(node: ET.Element | None) -> str | None:
    return None if node is None or node.text is None else node.text.strip()


def _entry(node: ET.Element, base: str) -> PageEntry:
    ident = _text(node.find(f"{{{ATOM}}}id")) or ""
    raw_position = _text(node.find(f"{{{AC}}}position"))
    position = int(raw_position) if raw_position and raw_position.isdigit() else None
    details = None
    for link in node.findall(f"{{{ATOM}}}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            details = urljoin(base, link.get("href", ""))
            break
    attributes = {
        child.tag[len(AC) + 2 :]: (child.text or "").strip()
        for child in node
        if child.tag.startswith(f"{{{AC}}}") and child.tag != f"{{{AC}}}position"
    }
    problem = None
    event = None
    content = node.find(f"{{{ATOM}}}content")
    if not ident:
        problem = "entry without an id"
    elif position is None:
        problem = f"entry {ident}: no ac:position"
    elif content is not None:
        if content.get("type") != CE_CONTENT_TYPE:
            kind = content.get("type")
            problem = f"entry {ident}: content type {kind!r} is not {CE_CONTENT_TYPE}"
        else:
            try:
                parsed = orjson.loads(content.text or "")
            except orjson.JSONDecodeError as exc:
                problem = f"entry {ident}: content is not JSON: {exc}"
            else:
                if isinstance(parsed, dict):
                    event = parsed
                else:
                    problem = f"entry {ident}: content is not a JSON object"
    elif details is None:
        problem = f"entry {ident}: neither content nor an alternate link"
    return PageEntry(ident, position, event, attributes, details, problem)


def parse_page(body: bytes, url: str) -> Page:
    """Parse one feed page fetched from ``url``.

    Raises:
        HostileFeed: not XML, a DTD or entity declaration, not an Atom feed, no feed id.
    """
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise HostileFeed(f"forbidden XML construct ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise HostileFeed(f"not XML: {exc}") from None
    if root.tag != f"{{{ATOM}}}feed":
        raise HostileFeed(f"not an Atom feed: root element {root.tag!r}")
    ident = _text(root.find(f"{{{ATOM}}}id"))
    if not ident:
        raise HostileFeed("feed without an id")
    links: dict[str, str] = {}
    for link in root.findall(f"{{{ATOM}}}link"):
        rel, href = link.get("rel", "alternate"), link.get("href")
        if href and rel not in links:
            links[rel] = urljoin(url, href)
    entries = [_entry(node, url) for node in root.findall(f"{{{ATOM}}}entry")]
    return Page(url, ident, entries, links)
