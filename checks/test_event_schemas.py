"""Event schemas: every event produced while orders flow through the system validates.

``accord_events`` validates each record on ``order``, ``invoice`` and ``delivery`` against
``contracts/`` as it arrives; one that does not fails this test with its
topic/partition@offset, JSON pointer and reason. Nothing may land in the dead-letter topic
``order.dlq`` (on Atom: the pollers' ``/dead-letters`` feeds) either: a consumer that could
not process an event is a broken contract too.
Waiting for an event stops at once, naming the cause, when a recorded event broke its
schema or a consumer dead-lettered the order's event: the first failure line is the
violation, not a timeout. Runs once per transport (``checks/conftest.py``): on Kafka topics
and on Atom feeds.
"""

from __future__ import annotations

import pytest

from accord.events import DEAD_LETTER_TYPE
from accord.pytest_plugin import EventRecorder
from accord.system import OrderClient

pytestmark = pytest.mark.e2e

ORDERS = 20


def test_every_event_of_an_order_scenario_matches_its_schema(
    accord_events: EventRecorder, order_api: OrderClient, accord_transport: str
) -> None:
    # order.dlq: the consumers' dead-letter topic on Kafka, the pollers' /dead-letters feeds
    # on Atom (accord_feeds).
    accord_events.record("order", "invoice", "delivery", "order.dlq")

    placed = [order_api.place() for _ in range(ORDERS)]
    for order in placed:
        for event_type in ("order.accepted", "invoice.created", "delivery.created"):
            accord_events.wait_for(event_type, key=order.order_id, within="60s")

    accord_events.drain()
    ours = {order.order_id for order in placed}
    per_order: dict[str, list[str]] = {}
    for event in accord_events.events:
        if event.get("partitionkey") in ours:
            per_order.setdefault(event["partitionkey"], []).append(str(event["type"]))
    expected = ["delivery.created", "invoice.created", "order.accepted"]
    assert {key: sorted(types) for key, types in per_order.items()} == dict.fromkeys(ours, expected)
    dead = [
        str(r.location)
        for r in accord_events.records
        if r.event.get("type") == DEAD_LETTER_TYPE or r.location.source == "order.dlq"
    ]
    assert dead == [], f"records went to the dead-letter topic: {', '.join(dead)}"
    assert accord_events.problems == []
