"""CloudEvents of the shipping service: ``order.accepted`` in, ``delivery.created`` out."""

from __future__ import annotations

import uuid
from typing import Any

from accord.events import KafkaMessage, make_event, rfc3339, to_kafka
from reference_services.common.errors import UnprocessableEvent
from reference_services.common.wire import (
    address_json,
    event_data,
    get_address,
    get_count,
    get_list,
    get_object,
    get_text,
    get_uuid,
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
SOURCE = "/reference/shipping"
TOPIC = "delivery"
DATASCHEMA = "urn:accord:schemas:delivery.created:v1"
_NAMESPACE = uuid.UUID("0b7e2d4c-5f60-4d3e-8c1a-9e7f3b2a6d21")


def parse_order_accepted(event: dict[str, Any]) -> OrderToShip:
    """Read what shipping needs from an ``order.accepted`` CloudEvent (tolerant reader:
    fields shipping does not use, such as prices, are ignored).

    Raises:
        UnprocessableEvent: naming the JSON pointer of the first missing or bad field.
    """
    data = event_data(event, "order.accepted")
    lines = []
    for index, raw in enumerate(get_list(data, "lines", "")):
        where = f"/lines/{index}"
        if not isinstance(raw, dict):
            raise UnprocessableEvent(f"{where}: must be an object")
        item = get_object(raw, "item", where)
        lines.append(
            DeliveryLine(
                get_count(raw, "count", where),
                get_text(item, "itemId", f"{where}/item"),
                get_text(item, "name", f"{where}/item"),
            )
        )
    return OrderToShip(
        order_id=get_uuid(data, "orderId", ""),
        customer_name=get_text(get_object(data, "customer", ""), "name", "/customer"),
        shipping_address=Address(*get_address(data, "shippingAddress", "")),
        lines=tuple(lines),
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
    return make_event(
        EVENT_TYPE,
        SOURCE,
        delivery_data(delivery),
        key=str(delivery.order_id),
        id=str(uuid.uuid5(_NAMESPACE, f"{EVENT_TYPE}:{delivery.order_id}")),
        time=delivery.created_at,
        dataschema=DATASCHEMA,
    )


def delivery_created_message(delivery: Delivery) -> KafkaMessage:
    """The Kafka record the relay publishes to topic ``delivery``."""
    return to_kafka(delivery_created_event(delivery))
