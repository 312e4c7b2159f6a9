"""The Atom source against real HTTP feed servers: order, follow, links-only, hostile input."""

from __future__ import annotations

import pytest

from accord.cli import main
from accord.sources import AtomSource, FeedError, open_source
from accord.sources._atom import FeedClient, FeedCursor

from .conftest import Feed, consistent_feeds, events_of

pytestmark = pytest.mark.integration


def test_reads_every_archive_page_oldest_first(serve_feed, order_feed: Feed) -> None:
    server = serve_feed(order_feed)
    source = open_source("atom+" + server.url)
    got = [event for event, _ in source]
    assert got == order_feed.events  # 2 archive pages of 5 and a head of 2, in feed order
    assert order_feed.reads == {"/feed": 1, "/feed/archive/2": 1, "/feed/archive/1": 1}


def test_links_only_entries_fetch_their_details(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 7), links_only=True)
    server = serve_feed(feed)
    got = [event for event, _ in AtomSource([server.url])]
    assert [e["id"] for e in got] == [e["id"] for e in feed.events]
    assert [e["data"] for e in got] == [e["data"] for e in feed.events]
    assert got[0]["type"] == "order.accepted"
    assert sum(n for path, n in feed.reads.items() if path.startswith("/details/")) == 7


def test_locations_name_the_page_and_position(serve_feed, order_feed: Feed) -> None:
    server = serve_feed(order_feed)
    where = [str(location) for _, location in AtomSource([server.url])]
    base = server.url
    assert where[0] == f"{base}/archive/1#position=1"
    assert where[-1] == f"{base}#position=12"


def test_a_cursor_gets_what_is_new_across_a_page_rollover(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 13, seed=1), page_size=5)
    more = events_of("order.accepted", 9, seed=2)
    server = serve_feed(feed)
    client = FeedClient()
    cursor = FeedCursor(server.url, client)
    assert [e.position for e, _ in cursor.read_new()] == list(range(1, 14))
    assert cursor.read_new() == []  # nothing new: the server answered 304
    for event in more[:7]:  # 14..20: page 3 fills (11..15), page 4 fills (16..20), head empty
        feed.publish(event)
    assert [e.position for e, _ in cursor.read_new()] == list(range(14, 21))
    for event in more[7:]:
        feed.publish(event)
    assert [e.position for e, _ in cursor.read_new()] == [21, 22]
    client.close()


def test_a_feed_that_went_back_is_reported_not_waited_for(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 12, seed=6))
    server = serve_feed(feed)
    client = FeedClient()
    cursor = FeedCursor(server.url, client)
    assert len(cursor.read_new()) == 12
    with feed.lock:
        feed.events[:] = events_of("order.accepted", 3, seed=7)  # a new database, same URL
    with pytest.raises(FeedError, match="ends at position 3, but position 12 was read"):
        cursor.read_new()
    client.close()


def test_a_cursor_from_the_end_reads_only_what_comes_later(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 10, seed=3))  # head empty, 2 archive pages
    server = serve_feed(feed)
    client = FeedClient()
    cursor = FeedCursor(server.url, client, from_end=True)
    assert cursor.read_new() == []
    feed.publish(events_of("order.accepted", 1, seed=4)[0])
    assert [e.position for e, _ in cursor.read_new()] == [11]
    client.close()


def test_several_feeds_merge_by_event_time(serve_feed) -> None:
    feeds = consistent_feeds(6)
    urls = [serve_feed(feed).url for feed in feeds.values()]
    got = [event for event, _ in AtomSource(urls)]
    assert len(got) == 18
    times = [e["time"] for e in got]
    assert times == sorted(times)


def test_audit_and_schema_validate_take_atom_sources(serve_feed, capsys) -> None:
    feeds = consistent_feeds(8)
    urls = {name: serve_feed(feed).url for name, feed in feeds.items()}
    spec = ",".join("atom+" + url for url in urls.values())
    code = main(
        [
            "audit",
            spec,
            "--trigger",
            "order.accepted",
            "--expect",
            "invoice.created=5s",
            "--expect",
            "delivery.created=5s",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "8" in out
    assert main(["schema", "validate", spec]) == 0
    assert "24 events checked: 24 valid, 0 invalid" in capsys.readouterr().out
    # Too tight a limit: every order is late, and the audit says so.
    assert (
        main(
            [
                "audit",
                spec,
                "--trigger",
                "order.accepted",
                "--expect",
                "invoice.created=500ms",
            ]
        )
        == 1
    )


def test_schema_validate_names_the_entry_of_an_invalid_event(serve_feed, capsys) -> None:
    feed = Feed(events=events_of("order.accepted", 6, seed=5))
    del feed.events[3]["data"]["total"]
    server = serve_feed(feed)
    assert main(["schema", "validate", "atom+" + server.url]) == 1
    out = capsys.readouterr().out
    assert f"{server.url}/archive/1#position=4" in out
    assert "total" in out
    assert "6 events checked: 5 valid, 1 invalid" in out


HOSTILE = {
    "not XML": b"this is not xml <",
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>',
    "external entity": b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM '
    b'"file:///etc/passwd">]><feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title>'
    b"</feed>",
    "not a feed": b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_documents_are_refused_with_one_line(serve_feed, capsys, kind: str) -> None:
    feed = Feed(head_body=HOSTILE[kind])
    server = serve_feed(feed)
    with pytest.raises(FeedError) as caught:
        list(AtomSource([server.url]))
    assert caught.value.url == server.url
    assert main(["schema", "validate", "atom+" + server.url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"accord: error: {server.url}: ")
    assert "\n" not in err
    assert "root:" not in err  # nothing of /etc/passwd


def test_a_page_over_the_size_limit_is_refused(serve_feed) -> None:
    feed = Feed(head_body=b"<feed>" + b" " * 200_000 + b"</feed>")
    server = serve_feed(feed)
    with pytest.raises(FeedError, match="limit"):
        list(AtomSource([server.url], max_page_bytes=100_000))


def test_a_page_that_links_to_itself_is_refused(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 16), loop_prev_at=2)
    server = serve_feed(feed)
    with pytest.raises(FeedError, match="loop"):
        list(AtomSource([server.url]))


def test_bad_atom_urls_are_usage_errors(capsys) -> None:
    assert main(["schema", "validate", "atom+ftp://x/feed"]) == 2
    assert "not an Atom source" in capsys.readouterr().err
    assert main(["schema", "validate", "atom+http://127.0.0.1:9/feed"]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_audit_follow_reads_what_comes_later_until_sigterm(serve_feed, tmp_path) -> None:
    import json
    import signal
    import subprocess
    import sys

    from accord.consistency import eventually

    feeds = consistent_feeds(12)
    later = {name: feed.events[8:] for name, feed in feeds.items()}
    for feed in feeds.values():
        del feed.events[8:]  # 8 orders now, 4 more while the audit follows (a page rolls over)
    spec = ",".join("atom+" + serve_feed(feed).url for feed in feeds.values())
    audit = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "audit",
            spec,
            "--follow",
            "--trigger",
            "order.accepted",
            "--expect",
            "invoice.created=5s",
            "--expect",
            "delivery.created=5s",
            "--format",
            "json",
            "--report-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        heads = feeds["order"]
        eventually(lambda: heads.reads.get("/feed", 0) >= 2, within="20s")  # it is polling
        for name, feed in feeds.items():
            for event in later[name]:
                feed.publish(event)
        seen = {name: feed.reads["/feed"] for name, feed in feeds.items()}
        # Two more polls of every head: the second began after the last publish.
        eventually(
            lambda: all(f.reads["/feed"] >= seen[n] + 2 for n, f in feeds.items()), within="20s"
        )
        audit.send_signal(signal.SIGTERM)
        out, err = audit.communicate(timeout=30)
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait()
    assert audit.returncode == 0, out + err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["triggers"] == 12
    assert report["interrupted"] is True
    for kind in ("invoice.created", "delivery.created"):
        assert report["expectations"][kind]["ok"] == 12
    assert feeds["order"].reads["/feed/archive/2"] >= 1  # page 2 filled while it followed


def test_following_rides_out_a_feed_that_fails_for_a_while(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 3, seed=8), fail_next=3)
    server = serve_feed(feed)
    source = AtomSource([server.url], follow=True, poll_interval_s=0.01, retry_s=30)
    events = iter(source)
    got = [next(events)[0] for _ in range(3)]
    assert got == feed.events
    assert feed.reads["/feed"] == 4  # three 503s, then the feed
    events.close()  # type: ignore[attr-defined]


def test_following_gives_up_on_a_feed_that_keeps_failing(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 3, seed=8), fail_next=10**6)
    server = serve_feed(feed)
    source = AtomSource([server.url], follow=True, poll_interval_s=0.01, retry_s=0.3)
    with pytest.raises(FeedError, match=r"HTTP 503 .*; still failing after 0.3s"):
        next(iter(source))


def test_without_follow_a_failing_feed_is_an_error_at_once(serve_feed) -> None:
    feed = Feed(events=events_of("order.accepted", 3, seed=8), fail_next=1)
    server = serve_feed(feed)
    with pytest.raises(FeedError, match="HTTP 503"):
        list(AtomSource([server.url]))


def test_nothing_is_fetched_off_the_feeds_origin(serve_feed, capsys) -> None:
    feed = Feed(events=events_of("order.accepted", 12), foreign_prev_at=2)
    server = serve_feed(feed)
    with pytest.raises(FeedError, match="prev-archive leaves the origin of"):
        list(AtomSource([server.url]))
    links = Feed(events=events_of("order.accepted", 3), links_only=True, foreign_details=True)
    source = AtomSource([serve_feed(links).url])
    assert list(source) == []
    assert [reason for _, reason in source.undecodable] == [
        f"details link http://127.0.0.2:9/details/{e['id']} leaves the origin of {source.urls[0]}"
        for e in links.events
    ]
