"""The order domain: pure dataclasses, exact :class:`~decimal.Decimal` money."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

__all__ = [
    "MAX_COUNT",
    "MAX_LINES",
    "Address",
    "Customer",
    "InvalidOrder",
    "Item",
    "Order",
    "OrderAccepted",
    "OrderLine",
    "UnknownCustomer",
    "UnknownItem",
    "accept_order",
]

#: Most pieces of one item in one line, and most lines in one order.
MAX_COUNT = 1000
MAX_LINES = 100


class InvalidOrder(ValueError):
    """An order that breaks a rule; ``field`` names the offending input (e.g. ``lines.0.count``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownCustomer(InvalidOrder):
    def __init__(self, customer_id: str) -> None:
        super().__init__("customerId", f"unknown customer {customer_id!r}")
        self.customer_id = customer_id


class UnknownItem(InvalidOrder):
    def __init__(self, index: int, item_id: str) -> None:
        super().__init__(f"lines.{index}.itemId", f"unknown item {item_id!r}")
        self.item_id = item_id


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    zip: str
    city: str


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    name: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderLine:
    count: int
    item: Item

    @property
    def amount(self) -> Decimal:
        return self.item.price * self.count


@dataclass(frozen=True, slots=True)
class Order:
    """An accepted order; customer and item data are copied as they were at acceptance."""

    order_id: UUID
    customer: Customer
    shipping_address: Address
    billing_address: Address
    lines: tuple[OrderLine, ...]
    accepted_at: datetime

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """Domain event: the order was accepted (published as ``order.accepted``)."""

    order: Order


def accept_order(
    order_id: UUID,
    customer: Customer,
    shipping_address: Address,
    billing_address: Address,
    lines: Sequence[OrderLine],
    accepted_at: datetime,
) -> Order:
    """Check the order rules and return the accepted order.

    Rules: at least one and at most :data:`MAX_LINES` lines; every count between 1 and
    :data:`MAX_COUNT`; no negative prices;
    the acceptance time carries a time zone.

    Raises:
        InvalidOrder: naming the first field that breaks a rule.
    """
    if not lines:
        raise InvalidOrder("lines", "an order needs at least one line")
    if len(lines) > MAX_LINES:
        raise InvalidOrder("lines", f"at most {MAX_LINES} lines per order")
    for index, line in enumerate(lines):
        if not 1 <= line.count <= MAX_COUNT:
            raise InvalidOrder(f"lines.{index}.count", f"must be between 1 and {MAX_COUNT}")
        if line.item.price < 0:
            raise InvalidOrder(f"lines.{index}.itemId", "item has a negative price")
    if accepted_at.tzinfo is None:
        raise InvalidOrder("acceptedAt", "must carry a time zone")
    return Order(
        order_id=order_id,
        customer=customer,
        shipping_address=shipping_address,
        billing_address=billing_address,
        lines=tuple(lines),
        accepted_at=accepted_at,
    )
