"""FastAPI app of the order service: ``POST /orders``, ``GET /orders/{id}``, ``GET /orders``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Body, FastAPI
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from reference_services.common.api import (
    MAX_BODY_BYTES,
    NOT_FOUND,
    ErrorOut,
    Page,
    PageQuery,
    SizeQuery,
    Text,
    add_health,
    new_app,
    not_found,
    unprocessable,
)
from reference_services.common.money import format_money
from reference_services.order.adapters.catalogue import CUSTOMERS, ITEMS
from reference_services.order.adapters.events import order_data
from reference_services.order.domain import MAX_COUNT, MAX_LINES, Address, InvalidOrder
from reference_services.order.service_layer import handlers
from reference_services.order.service_layer.unit_of_work import UnitOfWork

__all__ = ["create_app"]

# The catalogues are seeded and fixed, so the schema names their ids: an id outside them is
# a 422 from validation, and every schema-valid order is accepted.
CustomerId = Literal[tuple(c.customer_id for c in CUSTOMERS)]  # type: ignore[valid-type]
ItemId = Literal[tuple(i.item_id for i in ITEMS)]  # type: ignore[valid-type]
Zip = Annotated[str, Field(pattern=r"^[0-9A-Za-z -]{3,10}$", examples=["10115"])]
Money = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["19.99"])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(_Strict):
    street: Text
    zip: Zip
    city: Text


def _integral(value: object) -> object:
    """JSON Schema's integer is any number without a fractional part, so ``2.0`` is one
    (schemathesis sends it as valid data); anything else goes to strict validation as is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A JSON Schema integer, strictly: ``true``, ``"2"``, ``2.5``, ``1e400`` and ``NaN`` are not.
JsonInteger = Annotated[int, BeforeValidator(_integral), Field(strict=True)]


class LineIn(_Strict):
    count: JsonInteger = Field(ge=1, le=MAX_COUNT)
    itemId: ItemId  # type: ignore[valid-type]


class OrderIn(_Strict):
    customerId: CustomerId  # type: ignore[valid-type]
    shippingAddress: AddressIn
    billingAddress: AddressIn
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class AddressOut(BaseModel):
    street: str
    zip: str
    city: str


class CustomerOut(BaseModel):
    customerId: str
    name: str
    email: str


class ItemOut(BaseModel):
    itemId: str
    name: str
    price: Money


class CatalogueItemOut(BaseModel):
    itemId: str
    name: str
    price: Money


class LineOut(BaseModel):
    count: int
    item: ItemOut


class OrderOut(BaseModel):
    orderId: UUID
    customer: CustomerOut
    shippingAddress: AddressOut
    billingAddress: AddressOut
    lines: list[LineOut]
    total: Money
    acceptedAt: datetime
    #: What ``order.accepted`` v2 carries: every order is priced in EUR.
    currency: Literal["EUR"]


def _location(field: str) -> tuple[str | int, ...]:
    return ("body", *(int(p) if p.isdigit() else p for p in field.split(".")))


def create_app(
    uow_factory: Callable[[], UnitOfWork],
    *,
    ready: Callable[[], tuple[bool, str | None]] | None = None,
    now: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The order service's app.

    Args:
        uow_factory: makes units of work (``reference_services.bootstrap`` wires one; the
            app without a database is ``bootstrap("order").app``).
        ready: the health check; always ready when omitted.
        now: the clock for acceptance times.
    """
    make_uow = uow_factory
    clock = now or (lambda: datetime.now(UTC))

    app = new_app("order", "Accepts orders and publishes order.accepted to Kafka topic 'order'.")
    add_health(app, ready or (lambda: (True, None)))

    @app.post(
        "/orders",
        status_code=201,
        response_model=OrderOut,
        responses={
            400: {"model": ErrorOut, "description": "The body is not parseable"},
            413: {"model": ErrorOut, "description": f"The body is over {MAX_BODY_BYTES} bytes"},
        },
        tags=["orders"],
        summary="Accept an order",
    )
    def post_order(order: Annotated[OrderIn, Body()]) -> Any:
        command = handlers.PlaceOrder(
            customer_id=order.customerId,
            shipping_address=Address(**order.shippingAddress.model_dump()),
            billing_address=Address(**order.billingAddress.model_dump()),
            lines=[(line.count, line.itemId) for line in order.lines],
        )
        try:
            accepted = handlers.place_order(command, make_uow(), now=clock)
        except InvalidOrder as exc:
            raise unprocessable(_location(exc.field), exc.message, None) from None
        return order_data(accepted)

    @app.get("/orders/{order_id}", response_model=OrderOut, responses=NOT_FOUND, tags=["orders"])
    def get_order(order_id: UUID) -> Any:
        found = handlers.get_order(order_id, make_uow())
        if found is None:
            return not_found("order", order_id)
        return order_data(found)

    @app.get("/orders", response_model=Page[OrderOut], tags=["orders"])
    def list_orders(page: PageQuery = 0, size: SizeQuery = 20) -> Any:
        found, total = handlers.list_orders(page, size, make_uow())
        return {"items": [order_data(o) for o in found], "page": page, "size": size, "total": total}

    @app.get("/customers", response_model=list[CustomerOut], tags=["catalogue"])
    def list_customers() -> Any:
        """The seeded customers orders may name."""
        return [
            {"customerId": c.customer_id, "name": c.name, "email": c.email}
            for c in handlers.list_customers(make_uow())
        ]

    @app.get("/items", response_model=list[CatalogueItemOut], tags=["catalogue"])
    def list_items() -> Any:
        """The seeded items with their prices (EUR)."""
        return [
            {"itemId": i.item_id, "name": i.name, "price": format_money(i.price)}
            for i in handlers.list_items(make_uow())
        ]

    return app
