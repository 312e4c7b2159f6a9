"""FastAPI app of the shipping service: ``GET /deliveries[/{id}]``, ``?orderId=``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from fastapi import FastAPI
from pydantic import BaseModel

from reference_services.common.api import add_health, add_read_routes, new_app
from reference_services.shipping.adapters.events import delivery_data
from reference_services.shipping.service_layer import handlers
from reference_services.shipping.service_layer.unit_of_work import UnitOfWork

__all__ = ["create_app"]


class AddressOut(BaseModel):
    street: str
    zip: str
    city: str


class DeliveryLineOut(BaseModel):
    count: int
    itemId: str
    name: str


class DeliveryOut(BaseModel):
    deliveryId: UUID
    orderId: UUID
    customerName: str
    shippingAddress: AddressOut
    lines: list[DeliveryLineOut]
    createdAt: datetime


def create_app(
    uow_factory: Callable[[], UnitOfWork],
    *,
    ready: Callable[[], tuple[bool, str | None]] | None = None,
) -> FastAPI:
    """The shipping service's app.

    Args:
        uow_factory: makes units of work (``reference_services.bootstrap`` wires one; the
            app without a database is ``bootstrap("shipping").app``).
        ready: the health check; always ready when omitted.
    """
    make_uow = uow_factory
    app = new_app("shipping", "Creates a delivery per order.accepted; publishes delivery.created.")
    add_health(app, ready or (lambda: (True, None)))
    add_read_routes(
        app,
        path="/deliveries",
        noun="delivery",
        model=DeliveryOut,
        get_one=lambda ident: handlers.get_delivery(ident, make_uow()),
        get_page=lambda page, size, order: handlers.list_deliveries(page, size, make_uow(), order),
        to_json=delivery_data,
    )
    return app
