"""Repositories of the order service (explicit mapping between rows and domain objects)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import execute_insert
from reference_services.common.wire import address_json
from reference_services.order.adapters import orm
from reference_services.order.domain import Address, Customer, Item, Order, OrderLine

__all__ = ["CustomerRepository", "ItemRepository", "OrderRepository"]


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, customer_id: str) -> Customer | None:
        row = self._session.execute(
            select(orm.customers).where(orm.customers.c.customer_id == customer_id)
        ).first()
        return Customer(row.customer_id, row.name, row.email) if row else None

    def list(self) -> list[Customer]:
        rows = self._session.execute(select(orm.customers).order_by(orm.customers.c.customer_id))
        return [Customer(row.customer_id, row.name, row.email) for row in rows]


class ItemRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, item_id: str) -> Item | None:
        row = self._session.execute(
            select(orm.items).where(orm.items.c.item_id == item_id)
        ).first()
        return Item(row.item_id, row.name, Decimal(row.price)) if row else None

    def list(self) -> list[Item]:
        rows = self._session.execute(select(orm.items).order_by(orm.items.c.item_id))
        return [Item(row.item_id, row.name, Decimal(row.price)) for row in rows]


def _address(data: dict[str, str]) -> Address:
    return Address(data["street"], data["zip"], data["city"])


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, order: Order) -> None:
        execute_insert(
            self._session,
            orm.orders.insert().values(
                order_id=str(order.order_id),
                customer={
                    "customerId": order.customer.customer_id,
                    "name": order.customer.name,
                    "email": order.customer.email,
                },
                shipping_address=address_json(order.shipping_address),
                billing_address=address_json(order.billing_address),
                lines=[
                    {
                        "count": line.count,
                        "itemId": line.item.item_id,
                        "name": line.item.name,
                        "price": str(line.item.price),
                    }
                    for line in order.lines
                ],
                total=order.total,
                accepted_at=order.accepted_at,
            ),
        )

    def get(self, order_id: UUID) -> Order | None:
        row = self._session.execute(
            select(orm.orders).where(orm.orders.c.order_id == str(order_id))
        ).first()
        return self._order(row) if row else None

    def list(self, page: int, size: int) -> tuple[list[Order], int]:
        """One page of orders, newest first, and the number of all orders."""
        total = self._session.scalar(select(func.count()).select_from(orm.orders)) or 0
        rows = self._session.execute(
            select(orm.orders)
            .order_by(orm.orders.c.accepted_at.desc(), orm.orders.c.order_id)
            .offset(page * size)
            .limit(size)
        ).all()
        return [self._order(row) for row in rows], int(total)

    @staticmethod
    def _order(row: Any) -> Order:
        customer = row.customer
        return Order(
            order_id=UUID(row.order_id),
            customer=Customer(customer["customerId"], customer["name"], customer["email"]),
            shipping_address=_address(row.shipping_address),
            billing_address=_address(row.billing_address),
            lines=tuple(
                OrderLine(line["count"], Item(line["itemId"], line["name"], Decimal(line["price"])))
                for line in row.lines
            ),
            accepted_at=row.accepted_at,
        )
