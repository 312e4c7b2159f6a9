"""``accord atom check`` against real HTTP feed servers: a conformant feed passes, and each
way of breaking the wire format is flagged by the check that promises it."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.atom import check_feed
from accord.cli import main
from accord.schemas import SchemaRegistry

from .conftest import Feed, events_of

pytestmark = pytest.mark.integration

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.from_directory(CONTRACTS)


def test_a_conformant_feed_passes_every_check(serve_feed, order_feed: Feed, capsys) -> None:
    server = serve_feed(order_feed)
    assert main(["atom", "check", server.url, "--contracts", str(CONTRACTS)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"accord atom check {server.url}"
    assert out[-1] == "OK: 3 pages, 12 entries, 12 events validated; 12 checks passed, 0 failed"
    assert all(line.startswith("  ok   ") for line in out[1:-1])
    # Both reads walked every page; the conditional GETs asked the head twice more.
    assert order_feed.reads["/feed/archive/1"] == 2


def test_a_links_only_feed_passes_with_its_details(serve_feed, registry) -> None:
    feed = Feed(events=events_of("order.accepted", 7), links_only=True)
    report = check_feed(serve_feed(feed).url, registry)
    assert report.ok, report.lines()
    assert report.events == 7


BROKEN = {
    "a missing id": (dict(omit_id_at=3), "entry-elements", "/archive/1#position=3: no <id>"),
    "a changed archive page": (
        dict(mutate_archive=1),
        "archive-unchanged",
        "/archive/1: the page changed between two reads",
    ),
    "a broken prev-archive chain": (
        dict(break_prev_at=2),
        "archive-links",
        "/archive/2: prev-archive leads to {base}/archive/999, which answers HTTP 404",
    ),
    "a prev-archive loop": (
        dict(loop_prev_at=2),
        "archive-links",
        "/archive/2: prev-archive leads back to {base}/archive/2, a page already read: a loop",
    ),
    "a prev-archive off the feed's origin": (
        dict(foreign_prev_at=2),
        "archive-links",
        "/archive/2: prev-archive http://127.0.0.2:9/feed/archive/1 leaves the feed's origin "
        "(not followed)",
    ),
    "a head page without validators": (
        dict(no_validators=True),
        "validators",
        ": the head has no ETag or Last-Modified",
    ),
    "a 200 where a 304 was due": (
        dict(ignore_conditional=True),
        "conditional-get",
        ': If-None-Match: "12" got 200 with the same ETag: a 304 was due',
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_broken_feed_is_flagged_by_its_check(serve_feed, registry, capsys, case: str) -> None:
    knobs, check, message = BROKEN[case]
    feed = Feed(events=events_of("order.accepted", 12), **knobs)
    server = serve_feed(feed)
    report = check_feed(server.url, registry)
    found = [str(f) for f in report.failed(check)]
    assert found and found[0] == server.url + message.format(base=server.url), found
    assert main(["atom", "check", server.url, "--contracts", str(CONTRACTS)]) == 1
    out = capsys.readouterr().out
    assert f"  FAIL {check}" in out
    assert out.splitlines()[-1].startswith("FAILED: ")


def test_an_invalid_payload_names_entry_and_pointer(serve_feed, registry) -> None:
    feed = Feed(events=events_of("order.accepted", 6))
    feed.events[5]["data"]["lines"] = []
    server = serve_feed(feed)
    report = check_feed(server.url, registry)
    assert [f.check for f in report.findings] == ["payloads"]
    assert str(report.findings[0]).startswith(f"{server.url}#position=6: order.accepted ")
    assert "/data/lines" in str(report.findings[0])


def test_duplicate_ids_and_gaps_are_flagged(serve_feed, registry) -> None:
    events = events_of("order.accepted", 8)
    events[6] = dict(events[6], id=events[2]["id"])
    feed = Feed(events=events)
    report = check_feed(serve_feed(feed).url, registry)
    assert [f.check for f in report.findings] == ["unique-ids"]
    assert "was used before, at" in report.findings[0].message


def test_an_unreachable_feed_is_a_usage_error(capsys) -> None:
    assert main(["atom", "check", "http://127.0.0.1:9/feed", "--no-payloads"]) == 2
    assert capsys.readouterr().err.startswith("accord: error: http://127.0.0.1:9/feed: cannot read")


def test_without_positions_order_is_checked_by_updated(serve_feed, registry) -> None:
    feed = Feed(events=events_of("order.accepted", 12), no_positions=True)
    server = serve_feed(feed)
    assert check_feed(server.url, registry).ok
    feed.events[1], feed.events[2] = feed.events[2], feed.events[1]  # page 1 out of order
    report = check_feed(server.url, registry)
    assert [str(f) for f in report.findings] == [
        f"{server.url}/archive/1: entries are not oldest first by <updated>"
    ]


def test_a_head_that_never_holds_still_is_not_verified_rather_than_passed(
    serve_feed, registry
) -> None:
    feed = Feed(events=events_of("order.accepted", 12), volatile_etag=True)
    report = check_feed(serve_feed(feed).url, registry)
    assert [f.check for f in report.findings] == ["conditional-get"]
    assert "not verified: the head changed on each of 5 tries" in report.findings[0].message
