"""Atom feeds (RFC 4287) paged as archived feeds (RFC 5005), read over HTTP.

A feed is read from its oldest archive page to the head: the head document (``/feed``)
links ``prev-archive`` to the newest full archive page, each archive page links to the one
before it, and the oldest has no ``prev-archive``. Every entry carries a structured
CloudEvent as ``<content type="application/cloudevents+json">``, or only its attributes as
extension elements and a ``rel="alternate"`` link to the JSON details (then fetched as the
event's ``data``). Following a feed polls the head with conditional GETs (``If-None-Match``,
``If-Modified-Since``); after a 200 it walks ``prev-archive`` back to the last entry it had
read, so entries that moved from the head into a new archive page in between are not lost.

Documents are parsed with defusedxml (no DTDs, entities or external references), each
response body is read up to a bound, and a ``prev-archive`` chain that comes back to a page
already read in the same walk is an error, not an endless loop.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson

from accord.errors import UsageError
from accord.events import EventDecodeError, Location
from accord.sources._base import SourcedEvent

__all__ = [
    "AC_NS",
    "ATOM_NS",
    "CLOUDEVENTS_JSON",
    "DEFAULT_MAX_PAGE_BYTES",
    "FH_NS",
    "AtomEntry",
    "AtomLink",
    "AtomSource",
    "FeedClient",
    "FeedCursor",
    "FeedError",
    "FeedResponse",
    "entry_event",
    "parse_atom_url",
    "parse_page",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"
#: accord's extension namespace: ``<ac:position>`` numbers entries in commit order.
AC_NS = "urn:accord:feed"
XML_NS = "http://www.w3.org/XML/1998/namespace"
CLOUDEVENTS_JSON = "application/cloudevents+json"
ATOM_TYPE = "application/atom+xml"
#: The ``Accept`` that asks for the "links only" representation (entries without content).
LINKS_ONLY_ACCEPT = 'application/atom+xml; profile="urn:accord:feed:links"'
#: A feed page larger than this is refused (a 50 MB page is an attack, not a feed).
DEFAULT_MAX_PAGE_BYTES = 8 << 20
#: Pages one walk may read before it gives up (a chain this long is a loop in disguise).
MAX_PAGES_PER_WALK = 1_000_000

_A = "{" + ATOM_NS + "}"
_POSITION = "{" + AC_NS + "}position"
_XML_BASE = "{" + XML_NS + "}base"
_EPOCH = datetime.min.replace(tzinfo=UTC)


class FeedError(UsageError):
    """A feed that cannot be read: unreachable, not Atom, hostile, too large, a link loop.

    Attributes:
        url: the document the problem is in.
        reason: the message without the URL.
        transient: nothing answered, or the server failed (5xx): asking again may work.
    """

    def __init__(self, url: str, message: str, *, transient: bool = False) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.reason = message
        self.transient = transient


def parse_atom_url(spec: str) -> list[str]:
    """The HTTP URLs of ``atom+http://HOST:PORT/feed[,atom+http://HOST:PORT/feed]``.

    A piece after a comma may leave out the scheme (``atom+http://a:1/feed,b:2/feed``);
    it then takes the first piece's.

    Raises:
        UsageError: a piece is not an HTTP(S) URL with a host.
    """
    pieces = [p.strip() for p in spec.split(",") if p.strip()]
    if not pieces or not pieces[0].startswith(("atom+http://", "atom+https://")):
        raise UsageError(f"{spec!r} is not an Atom source: use atom+http://HOST:PORT/feed[,...]")
    scheme = pieces[0].split("://", 1)[0]
    urls = []
    for piece in pieces:
        if "://" not in piece:
            piece = f"{scheme}://{piece}"
        if piece.startswith("atom+"):
            piece = piece[len("atom+") :]
        parts = urlsplit(piece)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"{spec!r}: {piece!r} is not an Atom feed URL: use atom+http://HOST:PORT/feed"
            )
        urls.append(piece)
    return urls


# -- documents --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AtomLink:
    """A ``<link>``: its relation, absolute target and media type."""

    rel: str
    href: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One ``<entry>`` as read, with what it lacks of RFC 4287's required elements.

    Attributes:
        id: ``<id>`` (None when absent).
        title: ``<title>``.
        updated: ``<updated>`` as written.
        published: ``<published>`` as written.
        categories: the ``term`` of each ``<category>``.
        links: every ``<link>``, hrefs resolved.
        content_type: the ``type`` of ``<content>``.
        content: the text of ``<content>`` (None when there is none).
        position: ``<ac:position>`` (None when absent or not a number).
        attributes: extension elements of other namespaces by local name (the CloudEvent
            attributes of a links-only entry).
    """

    id: str | None
    title: str | None
    updated: str | None
    published: str | None
    categories: tuple[str, ...]
    links: tuple[AtomLink, ...]
    content_type: str | None
    content: str | None
    position: int | None
    attributes: dict[str, str] = field(default_factory=dict)

    def link(self, rel: str) -> AtomLink | None:
        """The first link of relation ``rel`` (``alternate`` when a link has no rel)."""
        return next((link for link in self.links if link.rel == rel), None)

    @property
    def missing(self) -> tuple[str, ...]:
        """RFC 4287 elements every entry must have that this one lacks."""
        return _missing(self.id, self.title, self.updated)


@dataclass(frozen=True, slots=True)
class AtomPage:
    """One feed document: the head or an archive page.

    Attributes:
        url: where it was read.
        id: the feed's ``<id>`` (None when absent).
        title: ``<title>``.
        updated: ``<updated>`` as written.
        authors: the ``<name>`` of each ``<author>``.
        links: every ``<link>`` of the feed, hrefs resolved.
        archive: carries ``<fh:archive/>``.
        entries: the entries in document order.
    """

    url: str
    id: str | None
    title: str | None
    updated: str | None
    authors: tuple[str, ...]
    links: tuple[AtomLink, ...]
    archive: bool
    entries: tuple[AtomEntry, ...]

    def link(self, rel: str) -> str | None:
        """The target of the first link of relation ``rel``, or None."""
        return next((link.href for link in self.links if link.rel == rel), None)

    @property
    def missing(self) -> tuple[str, ...]:
        """RFC 4287 elements every feed must have that this one lacks."""
        return _missing(self.id, self.title, self.updated)


def _missing(id_: str | None, title: str | None, updated: str | None) -> tuple[str, ...]:
    """Which of ``id``, ``title`` and ``updated`` (required of feeds and entries) are absent."""
    return tuple(
        name for name, value in (("id", id_), ("title", title), ("updated", updated)) if not value
    )


def _text(element: Any, name: str) -> str | None:
    child = element.find(_A + name)
    if child is None:
        return None
    return (child.text or "").strip() or None


def _links(element: Any, base: str) -> tuple[AtomLink, ...]:
    links = []
    for link in element.findall(_A + "link"):
        href = link.get("href")
        if href is None:
            continue
        links.append(
            AtomLink(
                rel=link.get("rel") or "alternate", href=urljoin(base, href), type=link.get("type")
            )
        )
    return tuple(links)


def _entry(element: Any, base: str) -> AtomEntry:
    base = urljoin(base, element.get(_XML_BASE) or "")
    content = element.find(_A + "content")
    position = None
    attributes: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith("{") or tag.startswith(_A):
            continue
        if tag == _POSITION:
            try:
                position = int((child.text or "").strip())
            except ValueError:
                position = None
            continue
        attributes[tag.rsplit("}", 1)[1]] = (child.text or "").strip()
    return AtomEntry(
        id=_text(element, "id"),
        title=_text(element, "title"),
        updated=_text(element, "updated"),
        published=_text(element, "published"),
        categories=tuple(c.get("term") or "" for c in element.findall(_A + "category")),
        links=_links(element, base),
        content_type=content.get("type") if content is not None else None,
        content=(content.text or "") if content is not None else None,
        position=position,
        attributes=attributes,
    )


def parse_page(body: bytes, url: str) -> AtomPage:
    """Parse one Atom feed document safely (no DTD, entities or external references).

    Args:
        body: the document's bytes.
        url: where it was read; relative hrefs resolve against it (and ``xml:base``).

    Raises:
        FeedError: the bytes are not XML, use a DTD or entities, or are not an Atom feed.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(url, f"refused: the document uses {type(exc).__name__} ({exc})") from None
    except ParseError as exc:
        raise FeedError(url, f"not XML ({exc})") from None
    if root.tag != _A + "feed":
        raise FeedError(url, f"not an Atom feed: the root element is {root.tag!r}, not feed")
    base = urljoin(url, root.get(_XML_BASE) or "")
    return AtomPage(
        url=url,
        id=_text(root, "id"),
        title=_text(root, "title"),
        updated=_text(root, "updated"),
        authors=tuple((a.findtext(_A + "name") or "").strip() for a in root.findall(_A + "author")),
        links=_links(root, base),
        archive=root.find("{" + FH_NS + "}archive") is not None,
        entries=tuple(_entry(e, base) for e in root.findall(_A + "entry")),
    )


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs have the same scheme, host and port (a feed's links must stay home)."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def details_fetcher(client: FeedClient, home: str) -> Callable[[str], Any]:
    """GETs the details of links-only entries of the feed at ``home``, only on its origin."""

    def details(url: str) -> Any:
        if not same_origin(url, home):
            raise EventDecodeError(f"details link {url} leaves the origin of {home}")
        return client.details(url)

    return details


def entry_event(entry: AtomEntry, details: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """The structured CloudEvent an entry carries.

    From ``<content type="application/cloudevents+json">`` when present; otherwise from
    the entry's CloudEvent attribute elements, with ``data`` fetched from the
    ``alternate`` link by ``details`` (links-only entries).

    Raises:
        EventDecodeError: the content is not a JSON object, or a links-only entry lacks
            its attributes or its link.
    """
    if entry.content is not None and entry.content.strip():
        kind = (entry.content_type or "").split(";")[0].strip().lower()
        if kind and "json" not in kind:
            raise EventDecodeError(f"content type {entry.content_type!r} is not a CloudEvent")
        try:
            event = orjson.loads(entry.content)
        except orjson.JSONDecodeError as exc:
            raise EventDecodeError(f"content is not JSON ({exc})") from None
        if not isinstance(event, dict):
            raise EventDecodeError(f"content is a JSON {type(event).__name__}, not a CloudEvent")
        return event
    attributes: dict[str, Any] = dict(entry.attributes)
    if "type" not in attributes or "id" not in attributes:
        raise EventDecodeError(
            "entry has neither CloudEvent content nor CloudEvent attributes (type, id)"
        )
    link = entry.link("alternate")
    if link is None:
        raise EventDecodeError('links-only entry has no rel="alternate" link to its details')
    if details is None:
        raise EventDecodeError("links-only entry and no way to fetch its details")
    attributes.setdefault("datacontenttype", link.type or "application/json")
    attributes["data"] = details(link.href)
    return attributes


# -- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """One HTTP answer, with its body read whole (up to the bound)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class FeedClient:
    """GETs feed documents and details over one HTTP session, each body read to a bound.

    Args:
        max_bytes: refuse a body larger than this.
        timeout_s: connect and read timeout per request.
        accept: the ``Accept`` of feed documents (:data:`LINKS_ONLY_ACCEPT` for entries
            without content).
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_PAGE_BYTES,
        timeout_s: float = 10.0,
        accept: str = ATOM_TYPE,
    ) -> None:
        import requests

        self.accept = accept
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self.requests = 0
        self.bytes_read = 0

    def get(
        self, url: str, *, headers: dict[str, str] | None = None, accept: str | None = None
    ) -> FeedResponse:
        """GET ``url``; raises :class:`FeedError` when nothing answers or the body is too big."""
        import requests

        sent = {"Accept": accept or self.accept, **(headers or {})}
        try:
            with self._session.get(
                url, headers=sent, timeout=self.timeout_s, stream=True, allow_redirects=True
            ) as response:
                declared = response.headers.get("Content-Length")
                if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FeedError(
                        url,
                        f"refused: {int(declared)} bytes is over the {self.max_bytes}-byte "
                        "limit of a feed document",
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FeedError(
                            url,
                            f"refused: the body is over the {self.max_bytes}-byte limit "
                            "of a feed document",
                        )
                    chunks.append(chunk)
                self.requests += 1
                self.bytes_read += size
                return FeedResponse(
                    url=url,
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=b"".join(chunks),
                )
        except requests.RequestException as exc:
            raise FeedError(
                url, f"cannot read it ({type(exc).__name__}: {exc})", transient=True
            ) from None

    def page(self, url: str) -> AtomPage:
        """GET and parse a feed document that must answer 200."""
        response = self.get(url)
        if response.status != 200:
            raise FeedError(
                url,
                f"HTTP {response.status} (expected 200 and an Atom feed)",
                transient=response.status >= 500,
            )
        return parse_page(response.body, url)

    def details(self, url: str) -> Any:
        """GET the JSON details of a links-only entry."""
        response = self.get(url, accept="application/json")
        if response.status != 200:
            raise EventDecodeError(f"details {url}: HTTP {response.status}")
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError as exc:
            raise EventDecodeError(f"details {url}: not JSON ({exc})") from None

    def close(self) -> None:
        self._session.close()


# -- reading a feed in order ------------------------------------------------------------------


class FeedCursor:
    """Where a reader is in one feed, and how to get what is new.

    The first :meth:`read_new` walks ``prev-archive`` from the head to the oldest page and
    returns every entry, oldest first. Later calls send a conditional GET for the head; on
    a 200 they walk back only as far as the last entry read (by ``<ac:position>``, else by
    entry id) and return what came after it.

    Args:
        url: the head document (``http://HOST:PORT/feed``).
        client: the HTTP client.
        from_end: start after the entries that exist now (the first call returns nothing
            new; for recording what is published from now on).
    """

    def __init__(self, url: str, client: FeedClient, *, from_end: bool = False) -> None:
        self.url = url
        self.client = client
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.last_position: int | None = None
        self.last_id: str | None = None
        self._from_end = from_end

    def _after_marker(self, page: AtomPage) -> tuple[bool, list[AtomEntry]]:
        """Whether ``page`` reaches back to the marker, and its entries after it."""
        if self.last_position is None and self.last_id is None:
            return False, list(page.entries)
        positions = [e.position for e in page.entries]
        if self.last_position is not None and None not in positions:
            last = self.last_position
            newer = [e for e in page.entries if e.position is not None and e.position > last]
            # An empty page reaches nothing: the entries after the marker may have moved
            # into a new archive page behind it.
            reached = bool(positions) and min(p for p in positions if p is not None) <= last + 1
            return reached, newer
        ids = [e.id for e in page.entries]
        if self.last_id in ids:
            return True, list(page.entries[ids.index(self.last_id) + 1 :])
        return False, list(page.entries)

    def read_new(self) -> list[tuple[AtomEntry, str]]:
        """Entries published since the last call, oldest first, with the page each is on.

        Raises:
            FeedError: a document cannot be read or parsed, or the archive links loop.
        """
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        response = self.client.get(self.url, headers=headers)
        if response.status == 304:
            return []
        if response.status != 200:
            raise FeedError(
                self.url,
                f"HTTP {response.status} (expected 200 and an Atom feed)",
                transient=response.status >= 500,
            )
        head = parse_page(response.body, self.url)
        pages = [head]
        reached, _ = self._after_marker(head)
        seen = {self.url, head.link("self") or self.url}
        previous = head.link("prev-archive")
        while not reached and previous is not None and not self._from_end:
            if not same_origin(previous, self.url):
                # Nothing is fetched off the feed's origin: a hostile page could point a
                # reader at any address it can reach (SSRF).
                raise FeedError(previous, f"prev-archive leaves the origin of {self.url}")
            if previous in seen:
                raise FeedError(previous, "the prev-archive links loop back to a page already read")
            if len(seen) > MAX_PAGES_PER_WALK:
                raise FeedError(self.url, f"more than {MAX_PAGES_PER_WALK} archive pages")
            seen.add(previous)
            page = self.client.page(previous)
            pages.append(page)
            reached, _ = self._after_marker(page)
            previous = page.link("prev-archive")
        if self.last_position:
            newest = max(
                (e.position for p in pages for e in p.entries if e.position is not None),
                default=0,
            )
            if newest < self.last_position:
                # Fewer entries than were read: a new feed behind the same URL. Waiting for
                # positions above the old ones would stall without a word.
                raise FeedError(
                    self.url,
                    f"the feed ends at position {newest}, but position {self.last_position} "
                    "was read already (was the feed reset?)",
                )
        had_marker = self.last_position is not None or self.last_id is not None
        if had_marker and not reached and self.last_position is None:
            raise FeedError(
                self.url,
                f"entry {self.last_id} that was read before is gone from the feed",
            )
        new: list[tuple[AtomEntry, str]] = []
        for page in reversed(pages):
            _, entries = self._after_marker(page)
            new += [(entry, page.url) for entry in entries]
        self.etag = response.header("etag")
        self.last_modified = response.header("last-modified")
        if self._from_end:
            self._from_end = False
            self._mark(head.entries[-1] if head.entries else None, head)
            return []
        if new:
            self._mark(new[-1][0], None)
        return new

    def _mark(self, entry: AtomEntry | None, head: AtomPage | None) -> None:
        if entry is None:
            # An empty head: the marker is the newest entry of the newest archive page.
            previous = head.link("prev-archive") if head is not None else None
            if previous is None:
                self.last_position = 0
                return
            page = self.client.page(previous)
            if not page.entries:
                self.last_position = 0
                return
            entry = page.entries[-1]
        self.last_position = entry.position
        self.last_id = entry.id


def _event_time(pair: SourcedEvent) -> datetime:
    raw = pair[0].get("time")
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return _EPOCH
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return _EPOCH


class AtomSource:
    """The CloudEvents of one or more Atom feeds, oldest archive page first.

    Without ``follow`` each feed is read from its oldest archive page to the head as it is
    when reading begins, and several feeds are merged by event time (each feed is in commit
    order). With ``follow`` the heads are polled with conditional GETs every
    ``poll_interval_s`` until the iterator is closed.

    An entry that does not carry a CloudEvent is reported through :attr:`undecodable`
    (location and reason) and skipped. A document that cannot be read raises
    :class:`FeedError` (a :class:`UsageError`) naming its URL.

    Args:
        urls: the head documents, e.g. ``["http://127.0.0.1:8000/feed"]``.
        follow: keep polling for new entries.
        poll_interval_s: with ``follow``, the pause after a round that found nothing.
        max_page_bytes: refuse documents larger than this.
        retry_s: with ``follow``, how long a feed may stay unreachable (or answer 5xx, e.g.
            while its service restarts) before reading stops with the error.
    """

    def __init__(
        self,
        urls: Iterable[str],
        *,
        follow: bool = False,
        poll_interval_s: float = 0.2,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
        retry_s: float = 30.0,
    ) -> None:
        self.urls = list(urls)
        self.retry_s = retry_s
        self.follow = follow
        self.poll_interval_s = poll_interval_s
        self.name = ",".join(f"atom+{url}" for url in self.urls)
        self.undecodable: list[tuple[Location, str]] = []
        self._max_page_bytes = max_page_bytes

    def _events(
        self, cursor: FeedCursor, pairs: list[tuple[AtomEntry, str]]
    ) -> Iterator[SourcedEvent]:
        details = details_fetcher(cursor.client, cursor.url)
        for entry, page_url in pairs:
            marker = f"position={entry.position}" if entry.position is not None else entry.id
            where = f"{page_url}#{marker}"
            try:
                event = entry_event(entry, details)
            except EventDecodeError as exc:
                self.undecodable.append((Location(where), str(exc)))
                continue
            key = event.get("partitionkey")
            yield event, Location(where, key=str(key) if key is not None else None)

    def __iter__(self) -> Iterator[SourcedEvent]:
        client = FeedClient(self._max_page_bytes)
        cursors = [FeedCursor(url, client) for url in self.urls]
        try:
            if not self.follow:
                streams = [self._events(c, c.read_new()) for c in cursors]
                if len(streams) == 1:
                    yield from streams[0]
                else:
                    yield from heapq.merge(*streams, key=_event_time)
                return
            failing_since: dict[str, float] = {}
            while True:
                found = False
                for cursor in cursors:
                    try:
                        pairs = cursor.read_new()
                    except FeedError as exc:
                        if not exc.transient:
                            raise
                        first = failing_since.setdefault(cursor.url, time.monotonic())
                        if time.monotonic() - first > self.retry_s:
                            raise FeedError(
                                exc.url, f"{exc.reason}; still failing after {self.retry_s:g}s"
                            ) from None
                        continue
                    failing_since.pop(cursor.url, None)
                    for pair in self._events(cursor, pairs):
                        found = True
                        yield pair
                if not found:
                    time.sleep(self.poll_interval_s)  # the poll interval, not a wait for a state
        finally:
            client.close()
