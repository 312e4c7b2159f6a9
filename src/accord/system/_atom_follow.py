from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from accord.events import EventDecodeError
from accord.sources._atom import FeedClient, FeedCursor, details_fetcher, entry_event


class FeedFollower:
    """Reads Atom feeds from their oldest archive page on, as structured CloudEvents.

    The Atom twin of :class:`~accord.system.EventFollower`: call :meth:`poll` in a loop.
    Each poll sends one conditional GET per feed head (a 304 when nothing is new) and, after
    a 200, walks ``prev-archive`` back to the last entry it had read. Entries that carry no
    CloudEvent are counted in :attr:`undecodable` and skipped.

    Args:
        urls: the feeds' heads, e.g. ``http://127.0.0.1:8000/feed``.
        poll_interval_s: the pause between two rounds that found nothing.
        from_end: skip the entries that exist now (record only what comes later).
    """

    def __init__(
        self, urls: Iterable[str], poll_interval_s: float = 0.1, *, from_end: bool = False
    ) -> None:
        self.urls = list(urls)
        self.undecodable = 0
        self.poll_interval_s = poll_interval_s
        self._client = FeedClient()
        self._cursors = [FeedCursor(url, self._client, from_end=from_end) for url in self.urls]

    @property
    def requests(self) -> int:
        """HTTP requests sent so far."""
        return self._client.requests

    @property
    def bytes_read(self) -> int:
        """Response body bytes read so far."""
        return self._client.bytes_read

    def poll_located(self, timeout_s: float = 0.2) -> list[tuple[dict[str, Any], str]]:
        """New events with the page and entry each was read at, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            found: list[tuple[dict[str, Any], str]] = []
            for cursor in self._cursors:
                details = details_fetcher(self._client, cursor.url)
                for entry, page in cursor.read_new():
                    try:
                        event = entry_event(entry, details)
                    except EventDecodeError:
                        self.undecodable += 1
                        continue
                    marker = entry.position if entry.position is not None else entry.id
                    found.append((event, f"{page}#position={marker}"))
            left = deadline - time.monotonic()
            if found or left <= 0:
                return found
            time.sleep(min(self.poll_interval_s, left))  # the poll interval of a feed reader

    def poll(self, timeout_s: float = 0.2) -> list[dict[str, Any]]:
        """The events that arrived, waiting at most ``timeout_s`` for the first."""
        return [event for event, _ in self.poll_located(timeout_s)]

    def close(self) -> None:
        self._client.close()
