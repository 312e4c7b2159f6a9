"""CloudEvents of the shipping service: ``order.accepted`` in, ``delivery.created`` out."""

from __future__ import annotations

from typing import Any

from accord.events import KafkaMessage, rfc3339, to_kafka
from reference_services.common.events import dataschema, reference_event, source
from reference_services.common.wire import (
    address_json,
    event_data,
    get_address,
    get_object,
    get_text,
    get_uuid,
    order_lines,
)
from reference_services.shipping.domain import Address, Delivery, DeliveryLine, OrderToShip

__all__ = [
    "DATASCHEMA",
    "EVENT_TYPE",
    "SOURCE",
    "TOPIC",
    "delivery_created_event",
    "delivery_created_message",
    "delivery_data",
    "parse_order_accepted",
]

EVENT_TYPE = "delivery.created"
SERVICE = "shipping"
SOURCE = source(SERVICE)
TOPIC = "delivery"
DATASCHEMA = dataschema(EVENT_TYPE)


def parse_order_accepted(event: dict[str, Any]) -> OrderToShip:
    """Read what shipping needs from an ``order.accepted`` CloudEvent (tolerant reader:
    fields shipping does not use, such as prices, are ignored).

    Raises:
        UnprocessableEvent: naming the JSON pointer of the first missing or bad field.
    """
    data = event_data(event, "order.accepted")
    return OrderToShip(
        order_id=get_uuid(data, "orderId", ""),
        customer_name=get_text(get_object(data, "customer", ""), "name", "/customer"),
        shipping_address=Address(*get_address(data, "shippingAddress", "")),
        lines=tuple(
            DeliveryLine(line.count, line.item_id, line.name) for line in order_lines(data)
        ),
    )


def delivery_data(delivery: Delivery) -> dict[str, Any]:
    """The JSON of a delivery, as ``delivery.created`` v1 and ``GET /deliveries`` show it."""
    address = delivery.shipping_address
    return {
        "deliveryId": str(delivery.delivery_id),
        "orderId": str(delivery.order_id),
        "customerName": delivery.customer_name,
        "shippingAddress": address_json(address),
        "lines": [
            {"count": line.count, "itemId": line.item_id, "name": line.name}
            for line in delivery.lines
        ],
        "createdAt": rfc3339(delivery.created_at),
    }


def delivery_created_event(delivery: Delivery) -> dict[str, Any]:
    """The structured CloudEvent ``delivery.created`` (key = order id, id stable per order)."""
    return reference_event(
        EVENT_TYPE,
        SERVICE,
        delivery_data(delivery),
        order_id=delivery.order_id,
        time=delivery.created_at,
    )


def delivery_created_message(delivery: Delivery) -> KafkaMessage:
    """The Kafka record the relay publishes to topic ``delivery``."""
    return to_kafka(delivery_created_event(delivery))
