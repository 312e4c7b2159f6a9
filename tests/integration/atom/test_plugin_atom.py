"""accord_events on Atom feeds (``--accord-transport atom``): a test records a real HTTP
feed from its current end, waits for events, and fails on one that breaks its schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Feed, events_of

pytestmark = pytest.mark.integration

pytest_plugins = ["pytester"]

INNER = """
import pytest

def test_records_what_is_published_from_now_on(accord_events, feed, fresh):
    accord_events.record("order")
    event = fresh[0]
    feed.publish(event)
    got = accord_events.wait_for("order.accepted", key=event["partitionkey"], within="10s")
    assert got == event
    accord_events.drain()
    assert [e["id"] for e in accord_events.events] == [event["id"]]  # none of the 12 before
    assert str(accord_events.records[0].location).endswith("/feed#position=13")

def test_a_broken_event_fails_the_test(accord_events, feed, fresh):
    accord_events.record("order")
    broken = fresh[1]
    del broken["data"]["total"]
    feed.publish(broken)
    accord_events.wait_for("order.accepted", key=broken["partitionkey"], within="10s")

def test_an_unknown_feed_name_says_which_are_known(accord_events):
    accord_events.record("order.dlq")
"""


class FeedPlugin:
    """Fixtures of the inner run: the feed a test publishes to, and where it is served."""

    def __init__(self, feed: Feed, url: str) -> None:
        self._feed, self._url = feed, url

    @pytest.fixture
    def feed(self) -> Feed:
        return self._feed

    @pytest.fixture
    def fresh(self) -> list[dict[str, Any]]:
        return events_of("order.accepted", 2, seed=11)

    @pytest.fixture(scope="session")
    def served_feed_url(self) -> str:
        return self._url


#: The plugin's own accord_feeds (the reference system's) is overridden the way a user would.
CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def accord_feeds(served_feed_url):
    return {"order": served_feed_url}
"""


def test_accord_events_records_an_atom_feed(pytester: pytest.Pytester, serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 12))
    server = serve_feed(feed)
    pytester.makepyfile(INNER)
    pytester.makeconftest(CONFTEST)
    contracts = Path(__file__).resolve().parents[3] / "contracts"
    result = pytester.runpytest(
        "--accord-transport",
        "atom",
        "--accord-contracts",
        str(contracts),
        plugins=[FeedPlugin(feed, server.url)],
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*1 event broke the schema contract during this test: "
            f"{server.url}#position=14 order.accepted id=*: /data/total: "
            "required property missing (required)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*accord_events: no Atom feed for 'order.dlq' (feeds: order); record a feed name*"]
    )
