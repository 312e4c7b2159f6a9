"""Event schemas: every event produced while orders flow through the system validates.

``accord_events`` validates each record on ``order``, ``invoice`` and ``delivery`` against
``contracts/`` as it arrives; one that does not fails this test with its
topic/partition@offset, JSON pointer and reason. Nothing may land in the dead-letter topic
``order.dlq`` either: a consumer that could not process an event is a broken contract too.
Waiting for an event stops at once, naming the cause, when a recorded event broke its
schema or a consumer dead-lettered the order's event: the first failure line is the
violation, not a timeout. Runs once per transport (``checks/conftest.py``): on Kafka topics
and on Atom feeds.
"""

from __future__ import annotations

import pytest

from accord.pytest_plugin import EventRecorder
from accord.system import OrderClient

pytestmark = pytest.mark.e2e

ORDERS = 20


def test_every_event_of_an_order_scenario_matches_its_schema(
    accord_events: EventRecorder, order_api: OrderClient, accord_transport: str
) -> None:
    topics = ["order", "invoice", "delivery"]
    if accord_transport == "kafka":
        # The Atom pollers dead-letter into a table of their own database: an order whose
        # event went there lacks its invoice or delivery in the per-order check below.
        topics.append("order.dlq")
    accord_events.record(*topics)

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
    assert {key: sorted(types) for key, types in per_order.items()} == dict.fromkeys(
        ours, expected
    )
    dead = [str(r.location) for r in accord_events.records if r.location.source == "order.dlq"]
    assert dead == [], f"records went to the dead-letter topic: {', '.join(dead)}"
    assert accord_events.problems == []
