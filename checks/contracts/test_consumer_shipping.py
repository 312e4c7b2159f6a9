"""Shipping's consumer contract with the order service (Pact V4).

Shipping relies on ``order.accepted`` for: the order id, the customer's name, the shipping
address and, per line, count, item id and name (it knows no prices), and on the CloudEvents
headers that say what the record is. Its support tooling also looks an order up over HTTP
(``GET /orders/{id}``, :class:`OrderDetailsClient` below): that client exists for this
contract and the support use case only; the event flow itself makes no HTTP calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import requests
from pact import Pact, match

from reference_services.order.entrypoints.pact_provider import DEFAULT_ORDER_ID

pytestmark = pytest.mark.integration

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ZIP_RE = r"^[0-9A-Za-z -]{3,10}$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+$"
JSON_CONTENT_RE = r"^application/json(;.*)?$"
UNKNOWN_ORDER_ID = "00000000-0000-4000-8000-000000000000"
NOW = datetime(2026, 1, 15, 9, 31, tzinfo=UTC)


@dataclass(frozen=True)
class OrderDetails:
    order_id: UUID
    customer_name: str
    customer_email: str
    ship_to: str


class OrderDetailsClient:
    """Shipping support's view of an order, read from the order service's HTTP API."""

    def __init__(self, base_url: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def get(self, order_id: str) -> OrderDetails | None:
        response = requests.get(f"{self.base_url}/orders/{order_id}", timeout=self.timeout_s)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        address = body["shippingAddress"]
        return OrderDetails(
            UUID(body["orderId"]),
            body["customer"]["name"],
            body["customer"]["email"],
            f"{address['street']}, {address['zip']} {address['city']}",
        )


#: The tests that declare interactions here; the pact is written only when all of them passed,
#: so running a subset (``-k``) never overwrites the committed pact with part of it.
TEST_COUNT = 3
_passed: list[str] = []


@pytest.fixture(scope="module")
def pacts(pact_writer: Any) -> Iterator[tuple[Pact, Pact, Pact]]:
    """The V4 pact shipping -> order, written to contracts/pacts/ after the module's tests.

    Messages and HTTP are declared on separate handles (pact's mock server cannot serve a
    pact that also holds message interactions, and locks its HTTP interactions once served):
    the Kafka message, the support tool's HTTP calls, the Atom poller's HTTP calls. They are
    merged into one file.
    """
    messages = Pact("shipping", "order").with_specification("V4")
    http = Pact("shipping", "order").with_specification("V4")
    feed = Pact("shipping", "order").with_specification("V4")
    yield messages, http, feed
    pact_writer([messages, http, feed], _passed, TEST_COUNT)


def order_accepted_body() -> dict[str, Any]:
    return {
        "orderId": match.regex(DEFAULT_ORDER_ID, regex=UUID_RE),
        "customer": {"name": match.str("Ada Lovelace")},
        "shippingAddress": {
            "street": match.str("1 Infinite Loop"),
            "zip": match.regex("95014", regex=ZIP_RE),
            "city": match.str("Cupertino"),
        },
        "lines": match.each_like(
            {
                "count": match.int(2),
                "item": {"itemId": match.str("i-1"), "name": match.str("iPod")},
            },
            min=1,
        ),
    }


def order_accepted_metadata() -> dict[str, Any]:
    """The Kafka headers shipping reads: the CloudEvents type and version, and JSON content."""
    return {
        "ce_type": "order.accepted",
        "ce_specversion": "1.0",
        "content-type": match.regex("application/json", regex=JSON_CONTENT_RE),
    }


def test_order_accepted_creates_a_delivery(
    pacts: tuple[Pact, Pact, Pact], sqlite_engine: Any, record_from_pact: Any
) -> None:
    pact = pacts[0]
    from reference_services.shipping.adapters import orm
    from reference_services.shipping.service_layer import handlers
    from reference_services.shipping.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    (
        pact.upon_receiving("an order.accepted event for an order to ship", "Async")
        .given("an order was accepted", {"orderId": DEFAULT_ORDER_ID})
        .with_body(order_accepted_body(), "application/json")
        .with_metadata(order_accepted_metadata())
    )
    deliveries = []

    def consume(body: Any, metadata: dict[str, Any]) -> None:
        event = record_from_pact(body, metadata)
        engine = sqlite_engine(orm.metadata)
        uow: Any = SqlAlchemyUnitOfWork(engine)
        deliveries.append(handlers.handle_order_accepted(event, uow, now=lambda: NOW))

    pact.verify(consume, "Async")

    (delivery,) = deliveries
    assert str(delivery.order_id) == DEFAULT_ORDER_ID
    assert delivery.customer_name == "Ada Lovelace"
    assert (delivery.shipping_address.zip, delivery.shipping_address.city) == ("95014", "Cupertino")
    assert [(line.count, line.item_id, line.name) for line in delivery.lines] == [
        (2, "i-1", "iPod")
    ]
    _passed.append("message")


def test_order_details_over_http(pacts: tuple[Pact, Pact, Pact]) -> None:
    pact = pacts[1]
    # Both HTTP interactions are declared before the mock server starts: pact locks the
    # pact's HTTP interactions once it has served them.
    (
        pact.upon_receiving("a request for the details of an accepted order")
        .given("an order exists", {"orderId": DEFAULT_ORDER_ID})
        .with_request("GET", f"/orders/{DEFAULT_ORDER_ID}")
        .will_respond_with(200)
        .with_body(
            {
                "orderId": match.regex(DEFAULT_ORDER_ID, regex=UUID_RE),
                "customer": {
                    "name": match.str("Ada Lovelace"),
                    "email": match.regex("ada@example.com", regex=EMAIL_RE),
                },
                "shippingAddress": {
                    "street": match.str("1 Infinite Loop"),
                    "zip": match.regex("95014", regex=ZIP_RE),
                    "city": match.str("Cupertino"),
                },
            },
            "application/json",
        )
    )
    (
        pact.upon_receiving("a request for an order that does not exist")
        .with_request("GET", f"/orders/{UNKNOWN_ORDER_ID}")
        .will_respond_with(404)
    )
    with pact.serve(addr="127.0.0.1") as server:
        client = OrderDetailsClient(str(server.url))
        details = client.get(DEFAULT_ORDER_ID)
        missing = client.get(UNKNOWN_ORDER_ID)
    assert details == OrderDetails(
        UUID(DEFAULT_ORDER_ID),
        "Ada Lovelace",
        "ada@example.com",
        "1 Infinite Loop, 95014 Cupertino",
    )
    assert missing is None
    _passed.append("http")


def test_the_atom_poller_reads_the_order_feed_and_the_details(
    pacts: tuple[Pact, Pact, Pact], sqlite_engine: Any
) -> None:
    """With ``--transport atom``: the feed's head (links only) and the order's details."""
    from reference_services.shipping.adapters import orm
    from reference_services.shipping.service_layer import handlers
    from reference_services.shipping.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    from .conftest import declare_order_feed, poll_order_feed

    pact = pacts[2]
    declare_order_feed(pact, DEFAULT_ORDER_ID, order_accepted_body())
    deliveries = []
    engine = sqlite_engine(orm.metadata)

    def handle(event: dict[str, Any]) -> object:
        uow: Any = SqlAlchemyUnitOfWork(engine)
        delivery = handlers.handle_order_accepted(event, uow, now=lambda: NOW)
        deliveries.append(delivery)
        return delivery

    with pact.serve(addr="127.0.0.1") as server:
        poller = poll_order_feed(f"{server.url}/feed", handle)
    assert (poller.processed, poller.dead_lettered, poller.rejected) == (1, 0, 0)
    (delivery,) = deliveries
    assert str(delivery.order_id) == DEFAULT_ORDER_ID
    assert delivery.customer_name == "Ada Lovelace"
    assert [(line.count, line.item_id, line.name) for line in delivery.lines] == [
        (2, "i-1", "iPod")
    ]
    _passed.append("feed")
