"""The Atom variant on real databases and real processes: commit order on PostgreSQL, a feed
reader that is not ours (feedparser), and the three services end to end without a broker."""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import orjson
import pytest
import requests
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session

from reference_services.bootstrap import bootstrap, running
from reference_services.common.atom import FeedPoller, FeedRelay, poller_tables
from reference_services.common.atom.parse import parse_page
from reference_services.common.db import create_db_engine
from reference_services.common.outbox import Outbox
from reference_services.common.runtime import HttpServer
from reference_services.order.adapters import orm as order_orm
from reference_services.samples import sample_order_accepted
from reference_services.shipping.adapters import orm as shipping_orm

pytestmark = pytest.mark.integration

ORDER = {
    "customerId": "c-2",
    "shippingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
    "billingAddress": {"street": "Billing 2", "zip": "20095", "city": "Hamburg"},
    "lines": [{"count": 1, "itemId": "i-3"}, {"count": 2, "itemId": "i-5"}],
}


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s}s: {what}")
        time.sleep(0.05)


class _OutboxIdPositions(FeedRelay):
    """The naive design: an entry's position is its outbox id, assigned before the commit."""

    def append_pending(self) -> int:
        o, f = self._outbox, self._feed
        with self._engine.begin() as conn:
            rows = conn.execute(select(o).where(o.c.sent_at.is_(None)).order_by(o.c.id)).all()
            for row in rows:
                event = orjson.loads(row.event)
                conn.execute(
                    f.insert().values(
                        position=row.id,
                        event_id=row.event_id,
                        event_type=event["type"],
                        event=row.event,
                        href=self._href(event),
                        appended_at=datetime.now(UTC),
                    )
                )
                conn.execute(o.update().where(o.c.id == row.id).values(sent_at=datetime.now(UTC)))
        return len(rows)


@pytest.mark.parametrize(
    "relay_class",
    [
        pytest.param(FeedRelay, id="ours"),
        pytest.param(
            _OutboxIdPositions,
            id="naive",
            marks=pytest.mark.xfail(strict=True, reason="positions taken before commit skip"),
        ),
    ],
)
def test_positions_follow_commit_order(
    pg_database: Any, tmp_path: Path, relay_class: type[FeedRelay]
) -> None:
    """Transaction A writes its outbox row first (lower id) and commits after B. A poller that
    has processed B must still get A: positions are assigned at the relay, after commit."""
    runtime = bootstrap("order", database_url=pg_database(), transport="atom", feed_page_size=3)
    with ExitStack() as stack:
        stack.callback(runtime.stop)
        relay = runtime.relay
        assert isinstance(relay, FeedRelay)
        relay = relay_class(
            runtime.engine, order_orm.outbox, relay._feed, relay._href
        )  # same tables, thread not started: the test drives it
        server = stack.enter_context(HttpServer(runtime.app))
        poller_engine = create_db_engine(f"sqlite:///{tmp_path / 'poller.db'}")
        stack.callback(poller_engine.dispose)
        tables = poller_tables(MetaData(), "t")
        tables.positions.metadata.create_all(poller_engine)
        seen: list[str] = []

        def handle(event: dict[str, Any], record: Callable[[Any], None]) -> None:
            with Session(poller_engine) as session, session.begin():
                record(session)
            seen.append(event["data"]["orderId"])

        poller = FeedPoller(poller_engine, tables, f"{server.url}/feed", handle)
        a, b = sample_order_accepted(), sample_order_accepted()
        first = stack.enter_context(Session(runtime.engine))
        Outbox(first, order_orm.outbox).add("order", a)
        first.flush()  # A holds the lower outbox id, not committed yet
        with Session(runtime.engine) as second, second.begin():
            Outbox(second, order_orm.outbox).add("order", b)
        relay.append_pending()
        assert poller.poll_once() == 1 and seen == [b["data"]["orderId"]]
        first.commit()
        relay.append_pending()
        poller.poll_once()
        assert seen == [b["data"]["orderId"], a["data"]["orderId"]]


def _all_pages(url: str) -> list[Any]:
    """feedparser's view of the head and every archive page, newest first."""
    pages = [feedparser.parse(url)]
    while True:
        older = [
            link.href for link in pages[-1].feed.get("links", []) if link.rel == "prev-archive"
        ]
        if not older:
            return pages
        pages.append(feedparser.parse(older[0]))


def test_feedparser_reads_every_page_of_every_feed_and_gets_304(tmp_path: Path) -> None:
    with ExitStack() as stack:
        order = stack.enter_context(running("order", transport="atom", feed_page_size=4))
        services = [order]
        for name in ("shipping", "invoicing"):
            services.append(
                stack.enter_context(
                    running(
                        name,
                        transport="atom",
                        order_feed=f"{order.url}/feed",
                        poll_interval_ms=20,
                        feed_page_size=4,
                    )
                )
            )
        placed = [
            requests.post(f"{order.url}/orders", json=ORDER, timeout=5).json()["orderId"]
            for _ in range(10)
        ]
        for service in services:
            feed = f"{service.url}/feed"
            _wait(lambda feed=feed: len(_entries(feed)) == 10, 15, f"10 entries on {feed}")
            pages = _all_pages(feed)
            assert [p.status for p in pages] == [200] * 3  # head (2 entries), archives 2 and 1
            assert all(not p.bozo for p in pages), [p.bozo_exception for p in pages if p.bozo]
            ids = [e.id for p in pages for e in p.entries]
            assert len(ids) == len(set(ids)) == 10
            keys = {
                orjson.loads(e.content[0].value)["partitionkey"] for p in pages for e in p.entries
            }
            assert keys == set(placed)
            for page in pages:
                href = page.href
                again = feedparser.parse(href, etag=page.etag, modified=page.modified)
                assert again.status == 304, href


def _entries(feed_url: str) -> list[str]:
    """Entry ids of a feed, all pages, through our own reader."""
    ids: list[str] = []
    url: str | None = feed_url
    while url:
        resp = requests.get(url, timeout=5)
        assert resp.status_code == 200, url
        page = parse_page(resp.content, url)
        ids = [e.id for e in page.entries] + ids
        url = page.links.get("prev-archive")
    return ids


# -- end to end: three processes, no broker --------------------------------------------------
class _Process:
    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reference_services", *args],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = ""

        def started() -> bool:
            assert self.process.poll() is None, log.read_text()
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", log.read_text())
            if found:
                self.url = found.group(1)
            return bool(found)

        _wait(started, 60, f"{args[0]} to start")
        _wait(self._healthy, 60, f"{args[0]} healthy")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/health", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


def _all(url: str, noun: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 0
    while True:
        body = requests.get(f"{url}/{noun}?page={page}&size=500", timeout=10).json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


@pytest.fixture
def three_services(tmp_path: Path) -> Iterator[Callable[[Callable[[str], str]], dict[str, str]]]:
    started: list[_Process] = []

    def start(database: Callable[[str], str]) -> dict[str, str]:
        order = _Process(
            ["order", "--transport", "atom", "--database-url", database("order")],
            tmp_path / "order.log",
        )
        started.append(order)
        urls = {"order": order.url}
        for name in ("shipping", "invoicing"):
            process = _Process(
                [
                    name,
                    "--transport",
                    "atom",
                    "--order-feed",
                    f"{order.url}/feed",
                    "--poll-interval-ms",
                    "100",
                    "--database-url",
                    database(name),
                ],
                tmp_path / f"{name}.log",
            )
            started.append(process)
            urls[name] = process.url
        return urls

    yield start
    codes = [p.stop() for p in reversed(started)]
    assert codes == [0] * len(started), [p.log.read_text()[-2000:] for p in started]


def _percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_200_orders_get_one_delivery_and_one_invoice_each(
    backend: str, three_services: Any, pg_database: Any, tmp_path: Path
) -> None:
    def database(name: str) -> str:
        return pg_database() if backend == "postgresql" else f"sqlite:///{tmp_path / name}.db"

    urls = three_services(database)
    http = requests.Session()
    placed = {}
    for _ in range(200):
        resp = http.post(f"{urls['order']}/orders", json=ORDER, timeout=10)
        assert resp.status_code == 201, resp.text
        placed[resp.json()["orderId"]] = resp.json()["acceptedAt"]
    _wait(
        lambda: (
            requests.get(f"{urls['shipping']}/deliveries?size=1", timeout=5).json()["total"] >= 200
            and requests.get(f"{urls['invoicing']}/invoices?size=1", timeout=5).json()["total"]
            >= 200
        ),
        180,  # a deadline, not a wait: ~5 s on an idle machine
        "200 deliveries and 200 invoices",
    )
    deliveries, invoices = _all(urls["shipping"], "deliveries"), _all(urls["invoicing"], "invoices")
    assert sorted(d["orderId"] for d in deliveries) == sorted(placed)
    assert sorted(i["orderId"] for i in invoices) == sorted(placed)
    # Their own feeds carry one event per order, too.
    assert len(_entries(f"{urls['shipping']}/feed")) == 200
    assert len(_entries(f"{urls['invoicing']}/feed")) == 200
    for noun, rows in (("delivery", deliveries), ("invoice", invoices)):
        lags = [
            (
                datetime.fromisoformat(r["createdAt"])
                - datetime.fromisoformat(placed[r["orderId"]])
            ).total_seconds()
            * 1000
            for r in rows
        ]
        print(
            f"atom {backend} order->{noun} latency ms: p50 {_percentile(lags, 50):.0f} "
            f"p99 {_percentile(lags, 99):.0f} (poll interval 100 ms)"
        )


def test_shipping_killed_mid_stream_resumes_without_loss(tmp_path: Path) -> None:
    """SIGKILL (no shutdown at all) while shipping works through a backlog; the restarted
    process resumes at the position committed with the last delivery: every order once."""
    order = _Process(
        ["order", "--transport", "atom", "--feed-page-size", "10", "--database-url",
         f"sqlite:///{tmp_path / 'order.db'}"],
        tmp_path / "order.log",
    )  # fmt: skip
    shipping_args = [
        "shipping", "--transport", "atom", "--order-feed", f"{order.url}/feed",
        "--poll-interval-ms", "20", "--processing-delay-ms", "20",
        "--database-url", f"sqlite:///{tmp_path / 'shipping.db'}",
    ]  # fmt: skip
    shipping = _Process(shipping_args, tmp_path / "shipping-1.log")
    try:
        http = requests.Session()
        placed = [
            http.post(f"{order.url}/orders", json=ORDER, timeout=10).json()["orderId"]
            for _ in range(60)
        ]

        def some_delivered() -> bool:
            total = requests.get(f"{shipping.url}/deliveries?size=1", timeout=5).json()["total"]
            return bool(total >= 15)

        _wait(some_delivered, 60, "15 deliveries before the kill")
        shipping.process.kill()
        shipping.process.wait(10)
        engine = create_db_engine(f"sqlite:///{tmp_path / 'shipping.db'}")
        try:
            with engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(shipping_orm.deliveries))
                killed_at = done.scalar_one()
        finally:
            engine.dispose()
        assert 15 <= killed_at < len(placed), killed_at  # the kill was mid-stream
        shipping = _Process(shipping_args, tmp_path / "shipping-2.log")

        def all_delivered() -> bool:
            total = requests.get(f"{shipping.url}/deliveries?size=1", timeout=5).json()["total"]
            return bool(total >= len(placed))

        _wait(all_delivered, 120, "every delivery after the restart")
        deliveries = _all(shipping.url, "deliveries")
        assert sorted(d["orderId"] for d in deliveries) == sorted(placed)
        assert len(_entries(f"{shipping.url}/feed")) == len(placed)  # one event per order
    finally:
        for process in (shipping, order):
            if process.process.poll() is None:
                process.stop()


def test_a_links_only_entry_yields_exactly_the_content_entrys_event() -> None:
    """For every entry: the ``ac:`` attributes plus the ``alternate`` details equal the
    CloudEvent of the content representation (``currency`` of v2 included)."""
    with running("order", transport="atom", feed_page_size=2) as order:
        for _ in range(3):
            assert requests.post(f"{order.url}/orders", json=ORDER, timeout=5).status_code == 201
        _wait(lambda: len(_entries(f"{order.url}/feed")) == 3, 15, "3 entries on the feed")
        links = {"Accept": 'application/atom+xml; profile="urn:accord:feed:links"'}
        compared = 0
        url: str | None = f"{order.url}/feed"
        while url:
            full = parse_page(requests.get(url, timeout=5).content, url)
            bare = parse_page(requests.get(url, headers=links, timeout=5).content, url)
            assert [e.id for e in full.entries] == [e.id for e in bare.entries]
            for with_content, links_only in zip(full.entries, bare.entries, strict=True):
                assert with_content.event is not None and links_only.event is None
                assert links_only.details is not None
                details = requests.get(links_only.details, timeout=5)
                assert details.status_code == 200, links_only.details
                assert {**links_only.attributes, "data": details.json()} == with_content.event
                assert with_content.event["data"]["currency"] == "EUR"
                compared += 1
            url = full.links.get("prev-archive")
        assert compared == 3
