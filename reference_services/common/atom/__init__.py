"""Atom feeds over plain HTTP: the second transport of the reference services (no broker).

- :mod:`.log`: the feed-log table and :class:`FeedRelay`, which appends committed outbox rows
  to it in commit order (positions 1, 2, 3, ...);
- :mod:`.render` and :mod:`.server`: RFC 4287 documents paged as RFC 5005 archived feeds,
  served with validators and 304s;
- :mod:`.parse` and :mod:`.poller`: a defensive reader of such feeds and the poller the
  consuming services run instead of a Kafka consumer.

See docs/atom.md for the wire format.
"""

from __future__ import annotations

from reference_services.common.atom.log import FeedLog, FeedRelay, feed_log_table
from reference_services.common.atom.poller import FeedPoller, poller_tables
from reference_services.common.atom.server import add_feed_routes

__all__ = [
    "FeedLog",
    "FeedPoller",
    "FeedRelay",
    "add_feed_routes",
    "feed_log_table",
    "poller_tables",
]
