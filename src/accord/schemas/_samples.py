"""Realistic valid events of the reference system, for tests and the benchmark.

Plain ``random`` (seeded) rather than Hypothesis: the benchmark needs tens of thousands of
events quickly, and tests need a readable known-good event to break on purpose.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.events import make_event
from accord.schemas._registry import dataschema_uri

SOURCES = {
    "order.accepted": "/reference/order",
    "delivery.created": "/reference/shipping",
    "invoice.created": "/reference/invoicing",
}
_ITEMS = [("pen", "Pen", "1.50"), ("book", "Notebook A5", "4.99"), ("mug", "Mug", "8.00"),
          ("lamp", "Desk lamp", "34.90"), ("cable", "USB-C cable 2m", "12.49")]
_CITIES = [("10115", "Berlin"), ("80331", "München"), ("1010", "Wien"), ("8001", "Zürich")]
_NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"]
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _address(rng: random.Random) -> dict[str, str]:
    zip_code, city = rng.choice(_CITIES)
    return {"street": f"Hauptstraße {rng.randint(1, 200)}", "zip": zip_code, "city": city}


def _time(rng: random.Random) -> datetime:
    seconds = rng.randint(0, 86_400 * 30)
    return _EPOCH + timedelta(seconds=seconds, microseconds=rng.randint(0, 999_999))


def sample_order(rng: random.Random) -> dict[str, Any]:
    """The data of a valid ``order.accepted`` event."""
    name = rng.choice(_NAMES)
    lines = []
    total = Decimal("0.00")
    for item_id, item_name, price in rng.sample(_ITEMS, rng.randint(1, 4)):
        count = rng.randint(1, 5)
        total += Decimal(price) * count
        lines.append({"count": count, "item": {"itemId": item_id, "name": item_name,
                                                "price": price}})
    address = _address(rng)
    return {
        "orderId": _uuid(rng),
        "customer": {
            "customerId": f"c-{rng.randint(1, 9999)}",
            "name": name,
            "email": name.lower().replace(" ", ".") + "@example.com",
        },
        "shippingAddress": address,
        "billingAddress": dict(address),
        "lines": lines,
        "total": f"{total:.2f}",
        "acceptedAt": _time(rng).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def sample_data(event_type: str, rng: random.Random) -> dict[str, Any]:
    """Valid data of a reference event type, derived from a random order."""
    order = sample_order(rng)
    if event_type == "order.accepted":
        return order
    created = (datetime.fromisoformat(order["acceptedAt"]) + timedelta(seconds=rng.randint(1, 30)))
    created_at = created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if event_type == "delivery.created":
        return {
            "deliveryId": _uuid(rng),
            "orderId": order["orderId"],
            "customerName": order["customer"]["name"],
            "shippingAddress": order["shippingAddress"],
            "lines": [{"count": line["count"], "itemId": line["item"]["itemId"],
                       "name": line["item"]["name"]} for line in order["lines"]],
            "createdAt": created_at,
        }
    if event_type == "invoice.created":
        return {
            "invoiceId": _uuid(rng),
            "orderId": order["orderId"],
            "customer": order["customer"],
            "billingAddress": order["billingAddress"],
            "lines": [{"count": line["count"], "itemId": line["item"]["itemId"],
                       "name": line["item"]["name"], "unitPrice": line["item"]["price"],
                       "amount": f"{Decimal(line['item']['price']) * line['count']:.2f}"}
                      for line in order["lines"]],
            "total": order["total"],
            "currency": "EUR",
            "createdAt": created_at,
        }
    raise ValueError(f"no sample data for event type {event_type!r}")


def sample_event(event_type: str, rng: random.Random | None = None) -> dict[str, Any]:
    """A valid structured CloudEvent of a reference event type (time = the domain time)."""
    rng = rng or random.Random(0)
    data = sample_data(event_type, rng)
    moment = data.get("acceptedAt") or data["createdAt"]
    return make_event(
        event_type,
        SOURCES[event_type],
        data,
        key=data["orderId"],
        id=_uuid(rng),
        time=datetime.fromisoformat(moment),
        dataschema=dataschema_uri(event_type, 1),
    )
