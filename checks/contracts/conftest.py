"""Shared pieces of the consumer and provider contract tests.

Consumer tests write their pacts to ``contracts/pacts/`` (committed; regenerated on every
run, byte-identical when nothing changed). The provider test verifies the order service
against every pact in that directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

#: Where the consumer tests write their pacts and the provider test reads them.
PACT_DIR = Path(__file__).resolve().parents[2] / "contracts" / "pacts"


def _record_from_pact(body: Any, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the Kafka record pact hands to a consumer, and decode it the way the real
    Kafka consumer does (``accord.events.from_kafka``): metadata are the record headers,
    the body is the record value."""
    from accord.events import from_kafka

    headers = [
        (name, (value if isinstance(value, str) else json.dumps(value)).encode())
        for name, value in metadata.items()
    ]
    value = body if isinstance(body, bytes) else str(body).encode()
    key = metadata.get("ce_partitionkey")
    return from_kafka(str(key).encode() if key is not None else None, value, headers)


@pytest.fixture(scope="session")
def pact_dir() -> Path:
    """The committed pact directory, ``contracts/pacts``."""
    return PACT_DIR


@pytest.fixture(scope="session")
def record_from_pact() -> Callable[[Any, Mapping[str, Any]], dict[str, Any]]:
    """See :func:`_record_from_pact`."""
    return _record_from_pact


@pytest.fixture(scope="session")
def pact_writer() -> Callable[[list[Any], list[str], int], bool]:
    """Write a consumer's pact to :data:`PACT_DIR` once every test declaring it passed.

    The first handle replaces the file, the others merge into it.
    """

    def write(handles: list[Any], passed: list[str], expected: int) -> bool:
        if len(set(passed)) != expected:
            return False
        PACT_DIR.mkdir(parents=True, exist_ok=True)
        for index, handle in enumerate(handles):
            handle.write_file(PACT_DIR, overwrite=index == 0)
        return True

    return write


@pytest.fixture
def sqlite_engine() -> Iterator[Callable[[Any], Any]]:
    """Factory: an in-memory SQLite engine with the given service's tables created."""
    from reference_services.common.db import MEMORY_URL, create_db_engine

    engines = []

    def make(metadata: Any) -> Any:
        engine = create_db_engine(MEMORY_URL)
        metadata.create_all(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


# -- the Atom variant: what the pollers read over HTTP ------------------------------------------

#: The head of the order feed in the "links only" representation, as a poller reads it: the
#: feed id (its position key), and per entry the position, the CloudEvent attributes and the
#: details link. Matching rules below make ids, times and hrefs flexible.
ORDER_FEED_XML = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:ac="urn:accord:feed">
<id>tag:accord.reference,2026:order/feed</id>
<title>order events</title>
<updated>2026-01-15T09:30:00.000000Z</updated>
<author><name>order</name></author>
<link rel="self" href="/feed" />
<link rel="current" href="/feed" />
<entry>
<id>tag:accord.reference,2026:order/event/b756955e-543a-5fa6-82b0-d89ed86714ca</id>
<title>order.accepted</title>
<updated>2026-01-15T09:30:00.000000Z</updated>
<published>2026-01-15T09:30:00.000000Z</published>
<category term="order.accepted" />
<link rel="alternate" type="application/json" href="/orders/{order_id}" />
<ac:specversion>1.0</ac:specversion>
<ac:id>b756955e-543a-5fa6-82b0-d89ed86714ca</ac:id>
<ac:source>/reference/order</ac:source>
<ac:type>order.accepted</ac:type>
<ac:time>2026-01-15T09:30:00.000000Z</ac:time>
<ac:partitionkey>{order_id}</ac:partitionkey>
<ac:datacontenttype>application/json</ac:datacontenttype>
<ac:dataschema>urn:accord:schemas:order.accepted:v2</ac:dataschema>
<ac:position>1</ac:position>
</entry>
</feed>"""
_TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _regex(pattern: str) -> dict[str, Any]:
    return {"matchers": [{"match": "regex", "regex": pattern}]}


ORDER_FEED_RULES: dict[str, Any] = {
    "body": {
        "$.feed.updated['#text']": _regex(_TIME_RE),
        "$.feed.entry": {"matchers": [{"match": "type", "min": 1}]},
        "$.feed.entry[*].id['#text']": _regex(rf"^tag:accord\.reference,2026:order/event/{_UUID}$"),
        "$.feed.entry[*].updated['#text']": _regex(_TIME_RE),
        "$.feed.entry[*].published['#text']": _regex(_TIME_RE),
        "$.feed.entry[*].link['@href']": _regex(rf"^(https?://[^/]+)?/orders/{_UUID}$"),
        "$.feed.entry[*].ac:id['#text']": _regex(rf"^{_UUID}$"),
        "$.feed.entry[*].ac:time['#text']": _regex(_TIME_RE),
        "$.feed.entry[*].ac:partitionkey['#text']": _regex(rf"^{_UUID}$"),
        "$.feed.entry[*].ac:position['#text']": _regex(r"^[1-9][0-9]*$"),
        # Any version: the pollers read the data by what they need, not by its version.
        "$.feed.entry[*].ac:dataschema['#text']": _regex(
            r"^urn:accord:schemas:order\.accepted:v[1-9][0-9]*$"
        ),
    }
}


def declare_order_feed(
    pact: Any,
    order_id: str,
    details_body: dict[str, Any],
    details_rules: dict[str, Any] | None = None,
) -> None:
    """Declare what a poller reads of the order service: the feed's head and the details."""
    from pact import match

    from reference_services.common.atom.poller import LINKS_ACCEPT

    (
        pact.upon_receiving("the head of the order feed, links only")
        .given("an order is in the feed", {"orderId": order_id})
        .with_request("GET", "/feed")
        .with_header("Accept", LINKS_ACCEPT)
        .will_respond_with(200)
        .with_header(
            "Content-Type",
            match.regex(
                "application/atom+xml; charset=utf-8", regex=r"^application/atom\+xml(;.*)?$"
            ),
        )
        .with_header("ETag", match.regex('"0f0634a0"', regex=r'^"[^"]+"$'))
        .with_body(ORDER_FEED_XML.format(order_id=order_id), "application/atom+xml")
        .with_matching_rules(ORDER_FEED_RULES, "Response")
    )
    details = (
        pact.upon_receiving("the details of an order in the feed")
        .given("an order is in the feed", {"orderId": order_id})
        .with_request("GET", f"/orders/{order_id}")
        .will_respond_with(200)
        .with_body(details_body, "application/json")
    )
    if details_rules is not None:
        details.with_matching_rules(details_rules, "Response")


def poll_order_feed(feed_url: str, handle: Callable[[dict[str, Any]], object]) -> Any:
    """One round of the real poller of ``--transport atom`` (links only) against ``feed_url``."""
    from sqlalchemy import MetaData

    from reference_services.common.atom import FeedPoller, poller_tables
    from reference_services.common.db import MEMORY_URL, create_db_engine

    engine = create_db_engine(MEMORY_URL)
    tables = poller_tables(MetaData(), "contract")
    tables.positions.metadata.create_all(engine)
    poller = FeedPoller(
        engine, tables, feed_url, lambda event, record: handle(event), links_only=True
    )
    try:
        poller.poll_once()
    finally:
        engine.dispose()
    return poller
