"""Invoicing use cases. :func:`handle_order_accepted` needs no Kafka: tests and Pact consumer
tests call it with a structured CloudEvent and a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from reference_services.common.errors import UnprocessableEvent
from reference_services.common.handling import create_once
from reference_services.invoicing.adapters.events import parse_order_accepted
from reference_services.invoicing.domain import (
    InvalidInvoice,
    Invoice,
    InvoiceCreated,
    create_invoice,
)
from reference_services.invoicing.service_layer.unit_of_work import UnitOfWork

__all__ = ["get_invoice", "handle_order_accepted", "list_invoices"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def handle_order_accepted(
    event: dict[str, Any],
    uow: UnitOfWork,
    *,
    now: Callable[[], datetime] = _utcnow,
    new_id: Callable[[], UUID] = uuid4,
) -> Invoice:
    """Create the invoice of an accepted order and put ``invoice.created`` into the outbox.

    Idempotent on the order id: for an order that already has its invoice (a redelivered
    event), nothing is written and the existing invoice is returned.

    Args:
        event: a structured ``order.accepted`` CloudEvent (``accord.events`` shape).
        uow: the unit of work to commit in.
        now: the clock for ``createdAt``.
        new_id: makes the invoice id.

    Raises:
        UnprocessableEvent: the event is of another type, has the wrong shape, or its lines do
            not add up to its total (the consumer dead-letters it).
    """
    order = parse_order_accepted(event)

    def build() -> Invoice:
        try:
            return create_invoice(order, new_id(), now())
        except InvalidInvoice as exc:
            raise UnprocessableEvent(str(exc)) from None

    def add(invoice: Invoice) -> None:
        uow.invoices.add(invoice)
        uow.publish(InvoiceCreated(invoice))

    return create_once(
        uow, existing=lambda: uow.invoices.get_by_order_id(order.order_id), build=build, add=add
    )


def get_invoice(invoice_id: UUID, uow: UnitOfWork) -> Invoice | None:
    with uow:
        return uow.invoices.get(invoice_id)


def list_invoices(
    page: int, size: int, uow: UnitOfWork, order_id: UUID | None = None
) -> tuple[list[Invoice], int]:
    with uow:
        return uow.invoices.list(page, size, order_id)
