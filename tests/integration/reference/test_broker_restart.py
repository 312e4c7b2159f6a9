"""A restart of the memory-only broker: the order service's relay recovers by itself (its
idempotent producer is in a fatal state afterwards, so it must be recreated), ``/health``
says 503 while the outbox is not draining, and the invoicing service consumes the recreated
topic from its beginning (its old positions would skip the new records)."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from accord.broker import EmbeddedBroker
from accord.broker._base import free_port
from reference_services.bootstrap import Topics, running

pytestmark = pytest.mark.integration

ORDER = {
    "customerId": "c-1",
    "shippingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
    "billingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
    "lines": [{"count": 1, "itemId": "i-4"}],
}


@pytest.fixture
def restartable_broker() -> Iterator[list[EmbeddedBroker]]:
    """A broker of this test's own on a fixed port; ``[0]`` is the one running now."""
    brokers = [EmbeddedBroker(port=free_port()).start()]
    yield brokers
    for broker in brokers:
        broker.stop()


def place(url: str) -> str:
    response = requests.post(f"{url}/orders", json=ORDER, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["orderId"])


def test_relay_recovers_after_a_broker_restart_without_restarting_the_service(
    restartable_broker: list[EmbeddedBroker], pg_database: Any, read_topic: Any, eventually: Any
) -> None:
    broker = restartable_broker[0]
    topics = Topics(
        *(f"{name}-{uuid.uuid4().hex[:8]}" for name in ("order", "delivery", "invoice"))
    )
    with (
        running(
            "invoicing",
            database_url=pg_database(),
            bootstrap_servers=broker.bootstrap_servers,
            group_id=f"invoicing-{uuid.uuid4().hex[:8]}",
            topics=topics,
        ) as invoicing,
        running(
            "order",
            database_url=pg_database(),
            bootstrap_servers=broker.bootstrap_servers,
            topics=topics,
            outbox_stall_s=1.0,
        ) as order,
    ):
        relay = order.runtime.relay
        assert relay is not None

        def invoiced(order_id: str) -> None:
            response = requests.get(
                f"{invoicing.url}/invoices", params={"orderId": order_id}, timeout=5
            )
            assert response.json()["total"] == 1, order_id

        before = place(order.url)
        eventually(lambda: assert_drained(relay))
        eventually(lambda: invoiced(before))

        # SIGKILL, as a crash would: the memory-only broker loses every topic and producer id.
        assert broker.pid is not None
        os.kill(broker.pid, signal.SIGKILL)
        broker.stop()
        during = [place(order.url) for _ in range(2)]

        def unhealthy() -> dict[str, Any]:
            response = requests.get(f"{order.url}/health", timeout=5)
            assert response.status_code == 503, response.text
            body: dict[str, Any] = response.json()
            return body

        body = eventually(unhealthy)
        assert body["status"] == "failing"
        assert "outbox is not draining" in body["reason"], body

        restarted = EmbeddedBroker(port=broker.port).start()
        restartable_broker.append(restarted)
        after = [place(order.url) for _ in range(2)]
        eventually(lambda: assert_drained(relay), timeout_s=40)

        keys = {r.key.decode() for r in read_topic(restarted.bootstrap_servers, topics.order)}
        assert set(during + after) <= keys, "rows accepted while the broker was away or after"
        assert before not in keys, "the restarted broker is empty: the old row was sent before"
        assert requests.get(f"{order.url}/health", timeout=5).status_code == 200

        for order_id in during + after:
            eventually(lambda: invoiced(order_id), timeout_s=30)  # noqa: B023
        assert requests.get(f"{invoicing.url}/health", timeout=5).status_code == 200


def assert_drained(relay: Any) -> None:
    assert relay.pending() == []
