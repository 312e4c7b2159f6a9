"""FastAPI app of the invoicing service: ``GET /invoices[/{id}]``, ``?orderId=``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import FastAPI
from pydantic import BaseModel, Field

from reference_services.common.api import add_health, add_read_routes, new_app
from reference_services.invoicing.adapters.events import invoice_data
from reference_services.invoicing.service_layer import handlers
from reference_services.invoicing.service_layer.unit_of_work import UnitOfWork

__all__ = ["create_app"]

Money = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["19.99"])]


class AddressOut(BaseModel):
    street: str
    zip: str
    city: str


class CustomerOut(BaseModel):
    customerId: str
    name: str
    email: str


class InvoiceLineOut(BaseModel):
    count: int
    itemId: str
    name: str
    unitPrice: Money
    amount: Money


class InvoiceOut(BaseModel):
    invoiceId: UUID
    orderId: UUID
    customer: CustomerOut
    billingAddress: AddressOut
    lines: list[InvoiceLineOut]
    total: Money
    currency: Literal["EUR"]
    createdAt: datetime


def create_app(
    uow_factory: Callable[[], UnitOfWork],
    *,
    ready: Callable[[], tuple[bool, str | None]] | None = None,
) -> FastAPI:
    """The invoicing service's app.

    Args:
        uow_factory: makes units of work (``reference_services.bootstrap`` wires one; the
            app without a database is ``bootstrap("invoicing").app``).
        ready: the health check; always ready when omitted.
    """
    make_uow = uow_factory
    app = new_app("invoicing", "Creates an invoice per order.accepted; publishes invoice.created.")
    add_health(app, ready or (lambda: (True, None)))
    add_read_routes(
        app,
        path="/invoices",
        noun="invoice",
        model=InvoiceOut,
        get_one=lambda ident: handlers.get_invoice(ident, make_uow()),
        get_page=lambda page, size, order: handlers.list_invoices(page, size, make_uow(), order),
        to_json=invoice_data,
    )
    return app
