"""Shipping use cases. :func:`handle_order_accepted` needs no Kafka: tests and Pact consumer
tests call it with a structured CloudEvent and a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from reference_services.common.errors import UnprocessableEvent
from reference_services.common.handling import create_once
from reference_services.shipping.adapters.events import parse_order_accepted
from reference_services.shipping.domain import (
    Delivery,
    DeliveryCreated,
    InvalidDelivery,
    create_delivery,
)
from reference_services.shipping.service_layer.unit_of_work import UnitOfWork

__all__ = ["get_delivery", "handle_order_accepted", "list_deliveries"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def handle_order_accepted(
    event: dict[str, Any],
    uow: UnitOfWork,
    *,
    now: Callable[[], datetime] = _utcnow,
    new_id: Callable[[], UUID] = uuid4,
) -> Delivery:
    """Create the delivery of an accepted order and put ``delivery.created`` into the outbox.

    Idempotent on the order id: for an order that already has its delivery (a redelivered
    event), nothing is written and the existing delivery is returned.

    Args:
        event: a structured ``order.accepted`` CloudEvent (``accord.events`` shape).
        uow: the unit of work to commit in.
        now: the clock for ``createdAt``.
        new_id: makes the delivery id.

    Raises:
        UnprocessableEvent: the event is of another type or has the wrong shape (the consumer
            dead-letters it).
    """
    order = parse_order_accepted(event)

    def build() -> Delivery:
        try:
            return create_delivery(order, new_id(), now())
        except InvalidDelivery as exc:
            raise UnprocessableEvent(str(exc)) from None

    def add(delivery: Delivery) -> None:
        uow.deliveries.add(delivery)
        uow.publish(DeliveryCreated(delivery))

    return create_once(
        uow, existing=lambda: uow.deliveries.get_by_order_id(order.order_id), build=build, add=add
    )


def get_delivery(delivery_id: UUID, uow: UnitOfWork) -> Delivery | None:
    with uow:
        return uow.deliveries.get(delivery_id)


def list_deliveries(
    page: int, size: int, uow: UnitOfWork, order_id: UUID | None = None
) -> tuple[list[Delivery], int]:
    with uow:
        return uow.deliveries.list(page, size, order_id)
