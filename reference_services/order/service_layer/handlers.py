"""Order use cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from reference_services.order.domain import (
    Address,
    Customer,
    Item,
    Order,
    OrderAccepted,
    OrderLine,
    UnknownCustomer,
    UnknownItem,
    accept_order,
)
from reference_services.order.service_layer.unit_of_work import UnitOfWork

__all__ = [
    "PlaceOrder",
    "get_order",
    "list_customers",
    "list_items",
    "list_orders",
    "place_order",
]


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Command: place an order for a catalogue customer; ``lines`` are ``(count, itemId)``."""

    customer_id: str
    shipping_address: Address
    billing_address: Address
    lines: Sequence[tuple[int, str]]


def place_order(
    command: PlaceOrder,
    uow: UnitOfWork,
    *,
    now: Callable[[], datetime],
    new_id: Callable[[], UUID] = uuid4,
) -> Order:
    """Accept the order and put ``order.accepted`` into the outbox in the same transaction.

    Raises:
        UnknownCustomer, UnknownItem, InvalidOrder: naming the offending field.
    """
    with uow:
        customer = uow.customers.get(command.customer_id)
        if customer is None:
            raise UnknownCustomer(command.customer_id)
        lines = []
        for index, (count, item_id) in enumerate(command.lines):
            item = uow.items.get(item_id)
            if item is None:
                raise UnknownItem(index, item_id)
            lines.append(OrderLine(count, item))
        order = accept_order(
            new_id(), customer, command.shipping_address, command.billing_address, lines, now()
        )
        uow.orders.add(order)
        uow.publish(OrderAccepted(order))
        uow.commit()
    return order


def get_order(order_id: UUID, uow: UnitOfWork) -> Order | None:
    with uow:
        return uow.orders.get(order_id)


def list_orders(page: int, size: int, uow: UnitOfWork) -> tuple[list[Order], int]:
    with uow:
        return uow.orders.list(page, size)


def list_customers(uow: UnitOfWork) -> list[Customer]:
    with uow:
        return uow.customers.list()


def list_items(uow: UnitOfWork) -> list[Item]:
    with uow:
        return uow.items.list()
