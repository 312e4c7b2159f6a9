"""The shipping domain: what to send where (shipping knows no prices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

__all__ = [
    "Address",
    "Delivery",
    "DeliveryCreated",
    "DeliveryLine",
    "InvalidDelivery",
    "OrderToShip",
    "create_delivery",
]


class InvalidDelivery(ValueError):
    """An accepted order shipping cannot turn into a delivery."""


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    zip: str
    city: str


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    count: int
    item_id: str
    name: str


@dataclass(frozen=True, slots=True)
class OrderToShip:
    """Shipping's view of an accepted order: who gets which items where."""

    order_id: UUID
    customer_name: str
    shipping_address: Address
    lines: tuple[DeliveryLine, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: UUID
    order_id: UUID
    customer_name: str
    shipping_address: Address
    lines: tuple[DeliveryLine, ...]
    created_at: datetime

    @property
    def pieces(self) -> int:
        return sum(line.count for line in self.lines)


@dataclass(frozen=True, slots=True)
class DeliveryCreated:
    """Domain event: published as ``delivery.created``."""

    delivery: Delivery


def create_delivery(order: OrderToShip, delivery_id: UUID, created_at: datetime) -> Delivery:
    """One delivery per order; lines of the same item are merged into one.

    Raises:
        InvalidDelivery: no lines, a count below 1, or a naive ``created_at``.
    """
    if not order.lines:
        raise InvalidDelivery(f"order {order.order_id} has no lines to deliver")
    if created_at.tzinfo is None:
        raise InvalidDelivery("created_at must carry a time zone")
    merged: dict[str, DeliveryLine] = {}
    for line in order.lines:
        if line.count < 1:
            raise InvalidDelivery(f"order {order.order_id}: count {line.count} of {line.item_id}")
        before = merged.get(line.item_id)
        merged[line.item_id] = (
            DeliveryLine(before.count + line.count, line.item_id, before.name)
            if before
            else line
        )
    return Delivery(
        delivery_id=delivery_id,
        order_id=order.order_id,
        customer_name=order.customer_name,
        shipping_address=order.shipping_address,
        lines=tuple(merged.values()),
        created_at=created_at,
    )

