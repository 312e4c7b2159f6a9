from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accord.errors import UsageError
from accord.events import EventDecodeError
from accord.sources._atom import (
    FeedClient,
    FeedError,
    FeedResponse,
    entry_event,
    parse_page,
    same_origin,
)

if TYPE_CHECKING:
    from accord.schemas import SchemaRegistry
    from accord.sources._atom import AtomEntry, AtomPage

#: Every check, in the order they are reported, with what it promises.
CHECKS: dict[str, str] = {
    "document": "every page answers 200 with application/atom+xml and parses safely",
    "feed-elements": "every page has the feed id, title and updated (RFC 4287), one feed id",
    "entry-elements": "every entry has id, title and updated (RFC 4287)",
    "unique-ids": "no entry id appears twice",
    "stable-ids": "a second read finds the same entry ids at the same places",
    "archive-links": "prev-archive leads from the head to the oldest page, next-archive and "
    "current lead back, archive pages are marked fh:archive",
    "archive-unchanged": "archive pages are byte for byte the same on a second read",
    "ordering": "entries go oldest first by ac:position, without gaps",
    "validators": "the head carries ETag and Last-Modified",
    "conditional-get": "If-None-Match with the head's ETag gets 304 and no body; "
    "another ETag gets 200",
    "caching": "the head is Cache-Control no-cache, archive pages cacheable for long",
    "payloads": "every entry carries a CloudEvent valid against the event schemas",
}
#: Conditional GETs tried while the feed keeps changing before the check gives up.
_CONDITIONAL_TRIES = 5
#: Findings listed per check before "... and N more".
_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a feed breaks a check: which check, where (a URL), and what."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class FeedCheckReport:
    """What :func:`check_feed` found for one feed.

    Attributes:
        url: the head document checked.
        pages: documents in the feed (head included).
        entries: entries read.
        events: entries whose CloudEvent was validated.
        findings: every failure, in check order.
        checked: the checks that ran (a check that could not run is a finding of its own).
    """

    url: str
    pages: int = 0
    entries: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    def lines(self) -> list[str]:
        """The report as a person reads it: a line per check, findings under failed ones."""
        out = [f"accord atom check {self.url}"]
        for name, promise in CHECKS.items():
            found = self.failed(name)
            if found:
                out.append(f"  FAIL {name:<17} {promise}")
                out += [f"       {finding}" for finding in found[:_SHOWN]]
                if len(found) > _SHOWN:
                    out.append(f"       ... and {len(found) - _SHOWN} more")
            elif name in self.checked:
                out.append(f"  ok   {name:<17} {promise}")
        failed = len({f.check for f in self.findings})
        verdict = "FAILED" if failed else "OK"
        out.append(
            f"{verdict}: {self.pages} pages, {self.entries} entries, {self.events} events "
            f"validated; {len(self.checked) - failed} checks passed, {failed} failed"
        )
        return out


@dataclass
class _Walk:
    """One read of a feed: its documents from the head back to the oldest."""

    responses: list[FeedResponse] = field(default_factory=list)
    pages: list[AtomPage] = field(default_factory=list)
    complete: bool = False

    def oldest_first(self) -> Iterable[tuple[FeedResponse, AtomPage]]:
        return reversed(list(zip(self.responses, self.pages, strict=True)))


def _where(page_url: str, entry: AtomEntry, index: int) -> str:
    marker = f"position={entry.position}" if entry.position is not None else f"entry={index + 1}"
    return f"{page_url}#{marker}"


class _Checker:
    def __init__(self, url: str, client: FeedClient, registry: SchemaRegistry | None) -> None:
        self.url = url
        self.client = client
        self.registry = registry
        self.report = FeedCheckReport(url)

    def fail(self, check: str, where: str, message: str) -> None:
        self.report.findings.append(Finding(check, where, message))

    def ran(self, *checks: str) -> None:
        self.report.checked.update(checks)

    # -- reading -----------------------------------------------------------------------------
    def _get(self, url: str, referrer: str | None = None) -> tuple[FeedResponse, AtomPage] | None:
        """GET and parse a page; a failure is a finding (and None)."""
        response = self.client.get(url)
        if response.status != 200:
            if referrer is not None:
                self.fail(
                    "archive-links",
                    referrer,
                    f"prev-archive leads to {url}, which answers HTTP {response.status}",
                )
            else:
                self.fail("document", url, f"HTTP {response.status} (expected 200)")
            return None
        kind = (response.header("content-type") or "").split(";")[0].strip()
        if kind != "application/atom+xml":
            self.fail(
                "document", url, f"Content-Type {kind or 'missing'!r}, not application/atom+xml"
            )
        try:
            return response, parse_page(response.body, url)
        except FeedError as exc:
            self.fail("document", url, exc.reason)
            return None

    def walk(self, first: bool) -> _Walk:
        """Read the head and follow prev-archive to the oldest page (links checked once)."""
        walk = _Walk()
        got = self._get(self.url)
        if got is None:
            return walk
        walk.responses.append(got[0])
        walk.pages.append(got[1])
        seen = {self.url}
        current = got[1]
        while True:
            previous = current.link("prev-archive")
            if previous is None:
                walk.complete = True
                return walk
            if previous in seen:
                if first:
                    self.fail(
                        "archive-links",
                        current.url,
                        f"prev-archive leads back to {previous}, a page already read: a loop",
                    )
                return walk
            if not same_origin(previous, self.url):
                if first:
                    self.fail(
                        "archive-links",
                        current.url,
                        f"prev-archive {previous} leaves the feed's origin (not followed)",
                    )
                return walk
            seen.add(previous)
            got = self._get(previous, current.url if first else None)
            if got is None:
                return walk
            response, page = got
            if first:
                self._check_archive_links(page, current)
            walk.responses.append(response)
            walk.pages.append(page)
            current = page

    def _check_archive_links(self, page: AtomPage, newer: AtomPage) -> None:
        if not page.archive:
            self.fail("archive-links", page.url, "archive page lacks <fh:archive/>")
        following = page.link("next-archive")
        if following is not None and not same_origin(following, self.url):
            self.fail(
                "archive-links",
                page.url,
                f"next-archive {following} leaves the feed's origin (not followed)",
            )
        elif newer.url == self.url and following not in (None, self.url):
            # The newest archive page may name the next page before it exists (RFC 5005
            # allows it, and the page's bytes then never change): it must not exist yet.
            status = self.client.get(following).status
            if status != 404:
                self.fail(
                    "archive-links",
                    page.url,
                    f"next-archive {following} answers HTTP {status}, but the head's "
                    "prev-archive skips it (expected 404 until that page is full, or the head)",
                )
        elif following != newer.url:
            self.fail(
                "archive-links",
                page.url,
                f"next-archive is {following or 'missing'}, but {newer.url} links here "
                "as its prev-archive",
            )
        if page.link("current") != self.url:
            self.fail(
                "archive-links",
                page.url,
                f"current is {page.link('current') or 'missing'}, not the head {self.url}",
            )
        if page.link("self") not in (None, page.url):
            self.fail("archive-links", page.url, f"self is {page.link('self')}, not {page.url}")

    # -- checks ------------------------------------------------------------------------------
    def run(self) -> FeedCheckReport:
        first = self.walk(first=True)
        if not first.pages:
            self.ran("document")
            return self.report
        self.ran("document", "feed-elements", "entry-elements", "unique-ids", "archive-links")
        self.report.pages = len(first.pages)
        self._elements(first)
        entries = [
            (page.url, index, entry)
            for _, page in first.oldest_first()
            for index, entry in enumerate(page.entries)
        ]
        self.report.entries = len(entries)
        self._unique(entries)
        self._ordering(first, entries)
        self._validators_and_conditional(first.responses[0])
        self._caching(first)
        self._payloads(entries)
        second = self.walk(first=False)
        self._second_read(first, second)
        return self.report

    def _elements(self, walk: _Walk) -> None:
        feed_ids = {page.id for page in walk.pages}
        for _, page in walk.oldest_first():
            for name in page.missing:
                self.fail("feed-elements", page.url, f"the feed has no <{name}>")
            if not page.authors:
                self.fail("feed-elements", page.url, "the feed has no <author> (RFC 4287 4.1.1)")
            for index, entry in enumerate(page.entries):
                for name in entry.missing:
                    self.fail("entry-elements", _where(page.url, entry, index), f"no <{name}>")
        if len(feed_ids - {None}) > 1:
            self.fail(
                "feed-elements",
                self.url,
                f"pages carry different feed ids: {', '.join(sorted(i for i in feed_ids if i))}",
            )

    def _unique(self, entries: list[tuple[str, int, AtomEntry]]) -> None:
        first_at: dict[str, str] = {}
        for page_url, index, entry in entries:
            if entry.id is None:
                continue
            where = _where(page_url, entry, index)
            if entry.id in first_at:
                self.fail(
                    "unique-ids", where, f"id {entry.id} was used before, at {first_at[entry.id]}"
                )
            else:
                first_at[entry.id] = where

    def _ordering(self, walk: _Walk, entries: list[tuple[str, int, AtomEntry]]) -> None:
        self.ran("ordering")
        positions = [entry.position for _, _, entry in entries]
        if not entries:
            return
        if None in positions:
            # Without positions only the times can be compared, within each document.
            for _, page in walk.oldest_first():
                times = [e.updated or "" for e in page.entries]
                if times != sorted(times):
                    self.fail("ordering", page.url, "entries are not oldest first by <updated>")
            return
        expected: int = 1 if walk.complete else (positions[0] or 1)
        for page_url, index, entry in entries:
            position = entry.position or 0
            if position != expected:
                where = _where(page_url, entry, index)
                if position < expected:
                    self.fail("ordering", where, f"comes after position {expected - 1}")
                else:
                    self.fail("ordering", where, f"expected position {expected}: a gap")
                expected = max(position, expected - 1) + 1
                continue
            expected += 1

    def _validators_and_conditional(self, head: FeedResponse) -> None:
        self.ran("validators", "conditional-get")
        if not head.header("etag") or not head.header("last-modified"):
            missing = [n for n in ("ETag", "Last-Modified") if not head.header(n.lower())]
            self.fail("validators", self.url, f"the head has no {' or '.join(missing)}")
        for _ in range(_CONDITIONAL_TRIES):
            etag = head.header("etag")
            if etag is None:
                self.fail(
                    "conditional-get",
                    self.url,
                    "cannot send If-None-Match: the head has no ETag (every poll costs a whole "
                    "page)",
                )
                return
            answer = self.client.get(self.url, headers={"If-None-Match": etag})
            if answer.status == 304:
                if answer.body:
                    self.fail(
                        "conditional-get", self.url, f"304 with a {len(answer.body)}-byte body"
                    )
                break
            if answer.status == 200 and answer.header("etag") == etag:
                self.fail(
                    "conditional-get",
                    self.url,
                    f"If-None-Match: {etag} got 200 with the same ETag: a 304 was due",
                )
                return
            head = answer  # the feed changed in between: ask again about the new state
        else:
            self.fail(
                "conditional-get",
                self.url,
                f"not verified: the head changed on each of {_CONDITIONAL_TRIES} tries",
            )
            return
        other = self.client.get(self.url, headers={"If-None-Match": '"accord-check-no-match"'})
        if other.status != 200 or not other.body:
            self.fail(
                "conditional-get",
                self.url,
                f"If-None-Match with an unknown ETag got HTTP {other.status}, not 200 and the feed",
            )

    def _caching(self, walk: _Walk) -> None:
        self.ran("caching")
        head = (walk.responses[0].header("cache-control") or "").lower()
        if "no-cache" not in head and "max-age=0" not in head:
            self.fail(
                "caching", self.url, f"head Cache-Control is {head or 'missing'!r}, not no-cache"
            )
        for response in walk.responses[1:]:
            value = (response.header("cache-control") or "").lower()
            if "no-cache" in value or "no-store" in value or "max-age" not in value:
                self.fail(
                    "caching",
                    response.url,
                    f"archive Cache-Control is {value or 'missing'!r}: a page that never "
                    "changes should be cacheable (max-age, immutable)",
                )

    def _payloads(self, entries: list[tuple[str, int, AtomEntry]]) -> None:
        if self.registry is None:
            return
        self.ran("payloads")
        links_only = "profile=" in self.client.accept
        for page_url, index, entry in entries:
            where = _where(page_url, entry, index)
            if links_only and entry.content is not None:
                self.fail("payloads", where, "links only was asked for, but it has <content>")
            link = entry.link("alternate")
            if entry.content is None and link is not None and not same_origin(link.href, self.url):
                self.fail("payloads", where, f"details link {link.href} leaves the feed's origin")
                continue
            try:
                event = entry_event(entry, self.client.details)
            except (EventDecodeError, FeedError) as exc:
                self.fail("payloads", where, f"no CloudEvent: {exc}")
                continue
            self.report.events += 1
            for violation in self.registry.validate(event, where=where):
                self.fail("payloads", where, str(violation).removeprefix(f"{where}: "))
            kind = event.get("type")
            if entry.title is not None and entry.title != kind:
                self.fail("payloads", where, f"<title> {entry.title!r} is not the type {kind!r}")

    def _second_read(self, first: _Walk, second: _Walk) -> None:
        self.ran("archive-unchanged", "stable-ids")
        if not second.complete:
            self.fail("stable-ids", self.url, "the second read did not reach the oldest page")
        before = {r.url: r for r in first.responses[1:]}
        for response in second.responses[1:]:
            old = before.get(response.url)
            if old is None:
                continue
            if hashlib.sha256(old.body).digest() != hashlib.sha256(response.body).digest():
                self.fail("archive-unchanged", response.url, "the page changed between two reads")
            elif old.header("etag") != response.header("etag"):
                self.fail(
                    "archive-unchanged",
                    response.url,
                    f"same bytes, but the ETag changed from {old.header('etag')} to "
                    f"{response.header('etag')}",
                )

        def placed(walk: _Walk) -> dict[Any, str | None]:
            found: dict[Any, str | None] = {}
            for _, page in walk.oldest_first():
                for index, entry in enumerate(page.entries):
                    key = entry.position if entry.position is not None else (page.url, index)
                    found[key] = entry.id
            return found

        old_ids, new_ids = placed(first), placed(second)
        for key, entry_id in old_ids.items():
            if key in new_ids and new_ids[key] != entry_id:
                self.fail(
                    "stable-ids",
                    self.url,
                    f"position {key}: id {entry_id} on the first read, "
                    f"{new_ids[key]} on the second",
                )
        gone = {i for i in old_ids.values() if i} - {i for i in new_ids.values() if i}
        if gone:
            self.fail(
                "stable-ids",
                self.url,
                f"{len(gone)} entry ids of the first read are gone on the second, e.g. "
                f"{sorted(gone)[0]}",
            )


def check_feed(
    url: str,
    registry: SchemaRegistry | None = None,
    *,
    client: FeedClient | None = None,
) -> FeedCheckReport:
    """Check one Atom feed against RFC 4287, RFC 5005 and HTTP caching, and its payloads.

    Args:
        url: the head document, ``http://HOST:PORT/feed`` (``atom+http://`` is accepted).
        registry: validates each entry's CloudEvent; None leaves payloads unchecked.
        client: the HTTP client (a new one when None).

    Raises:
        UsageError: nothing answers at ``url`` (the feed cannot be checked at all).
    """
    if url.startswith("atom+"):
        url = url[len("atom+") :]
    own = client is None
    http = client or FeedClient()
    try:
        try:
            http.get(url)
        except FeedError as exc:
            raise UsageError(str(exc)) from None
        return _Checker(url, http, registry).run()
    finally:
        if own:
            http.close()
