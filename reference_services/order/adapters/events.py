"""``order.accepted`` as a CloudEvent: the ONE place the order service builds its event.

The outbox stores :func:`order_accepted_event`; the relay sends ``accord.events.to_kafka`` of
it, which is :func:`order_accepted_message`. Pact provider verification calls these functions.
"""

from __future__ import annotations

from typing import Any

from accord.events import KafkaMessage, rfc3339, to_kafka
from reference_services.common.events import dataschema, reference_event, source
from reference_services.common.money import format_money
from reference_services.common.wire import address_json
from reference_services.order.domain import Order

__all__ = [
    "DATASCHEMA",
    "EVENT_TYPE",
    "SOURCE",
    "TOPIC",
    "order_accepted_event",
    "order_accepted_message",
    "order_data",
]

EVENT_TYPE = "order.accepted"
SERVICE = "order"
SOURCE = source(SERVICE)
TOPIC = "order"
#: The schema version the order service writes: v2 adds ``currency`` (optional, FULL_TRANSITIVE
#: with v1; invoicing reads it, shipping ignores it).
VERSION = 2
DATASCHEMA = dataschema(EVENT_TYPE, VERSION)
CURRENCY = "EUR"


def order_data(order: Order) -> dict[str, Any]:
    """The JSON of an order, exactly as ``order.accepted`` v2 (the data) and ``GET
    /orders/{id}`` show it: a links-only feed entry's data is this route's answer. Every
    order is priced in :data:`CURRENCY` (v1 data lacks ``currency`` and means the same)."""
    return {
        "orderId": str(order.order_id),
        "customer": {
            "customerId": order.customer.customer_id,
            "name": order.customer.name,
            "email": order.customer.email,
        },
        "shippingAddress": address_json(order.shipping_address),
        "billingAddress": address_json(order.billing_address),
        "lines": [
            {
                "count": line.count,
                "item": {
                    "itemId": line.item.item_id,
                    "name": line.item.name,
                    "price": format_money(line.item.price),
                },
            }
            for line in order.lines
        ],
        "total": format_money(order.total),
        "acceptedAt": rfc3339(order.accepted_at),
        "currency": CURRENCY,
    }


def order_accepted_event(order: Order) -> dict[str, Any]:
    """The structured CloudEvent ``order.accepted`` v2 for ``order`` (key = order id): the
    order's JSON (with ``currency``) as data."""
    data = order_data(order)
    return reference_event(
        EVENT_TYPE,
        SERVICE,
        data,
        order_id=order.order_id,
        time=order.accepted_at,
        version=VERSION,
    )


def order_accepted_message(order: Order) -> KafkaMessage:
    """The Kafka record (binary content mode) the relay publishes to topic ``order``."""
    return to_kafka(order_accepted_event(order))
