"""Sample domain objects and events for tests (ours, and the Pact and schema suites')."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accord.events import make_event
from reference_services.order.domain import Address, Customer, Item, Order, OrderLine, accept_order

__all__ = ["ACCEPTED_AT", "sample_order", "sample_order_accepted"]

ACCEPTED_AT = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def sample_order(order_id: uuid.UUID | None = None) -> Order:
    """An accepted order of the seeded catalogue's customer ``c-1`` (total 200.29 EUR)."""
    return accept_order(
        order_id or uuid.UUID("8a5b9c1e-0d2f-4e3a-9b7c-6d5e4f3a2b1c"),
        Customer("c-1", "Ada Lovelace", "ada@example.com"),
        Address("Main 1", "10115", "Berlin"),
        Address("Billing 2", "20095", "Hamburg"),
        [
            OrderLine(3, Item("i-9", "Sticker", Decimal("0.10"))),
            OrderLine(1, Item("i-1", "iPod", Decimal("199.99"))),
        ],
        ACCEPTED_AT,
    )


def sample_order_accepted(
    order_id: uuid.UUID | str | None = None, **data_overrides: Any
) -> dict[str, Any]:
    """A structured ``order.accepted`` CloudEvent (total 400.28); ``data_overrides`` replace
    top-level fields of ``data`` (to build wrong shapes)."""
    oid = str(order_id or uuid.uuid4())
    data: dict[str, Any] = {
        "orderId": oid,
        "customer": {"customerId": "c-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        "shippingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
        "billingAddress": {"street": "Billing 2", "zip": "20095", "city": "Hamburg"},
        "lines": [
            {"count": 2, "item": {"itemId": "i-1", "name": "iPod", "price": "199.99"}},
            {"count": 3, "item": {"itemId": "i-5", "name": "Headphones", "price": "0.10"}},
        ],
        "total": "400.28",
        "acceptedAt": "2026-11-26T12:00:00.000000Z",
    }
    data.update(data_overrides)
    return make_event(
        "order.accepted",
        "/reference/order",
        data,
        key=oid,
        time=ACCEPTED_AT,
        dataschema="urn:accord:schemas:order.accepted:v1",
    )
