"""The delivery repository."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import execute_insert
from reference_services.common.wire import address_json
from reference_services.shipping.adapters import orm
from reference_services.shipping.domain import Address, Delivery, DeliveryLine

__all__ = ["DeliveryRepository"]

_t = orm.deliveries


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, delivery: Delivery) -> None:
        """Insert; raises :class:`~reference_services.common.errors.Conflict` for a known order."""
        address = delivery.shipping_address
        execute_insert(
            self._session,
            _t.insert().values(
                delivery_id=str(delivery.delivery_id),
                order_id=str(delivery.order_id),
                customer_name=delivery.customer_name,
                shipping_address=address_json(address),
                lines=[
                    {"count": line.count, "itemId": line.item_id, "name": line.name}
                    for line in delivery.lines
                ],
                created_at=delivery.created_at,
            ),
        )

    def get(self, delivery_id: UUID) -> Delivery | None:
        row = self._session.execute(select(_t).where(_t.c.delivery_id == str(delivery_id))).first()
        return _delivery(row) if row else None

    def get_by_order_id(self, order_id: UUID) -> Delivery | None:
        row = self._session.execute(select(_t).where(_t.c.order_id == str(order_id))).first()
        return _delivery(row) if row else None

    def list(
        self, page: int, size: int, order_id: UUID | None = None
    ) -> tuple[list[Delivery], int]:
        """One page, newest first, optionally only the delivery of ``order_id``."""
        where = [_t.c.order_id == str(order_id)] if order_id is not None else []
        total = self._session.scalar(select(func.count()).select_from(_t).where(*where)) or 0
        rows = self._session.execute(
            select(_t)
            .where(*where)
            .order_by(_t.c.created_at.desc(), _t.c.delivery_id)
            .offset(page * size)
            .limit(size)
        ).all()
        return [_delivery(row) for row in rows], int(total)


def _delivery(row: Any) -> Delivery:
    address = row.shipping_address
    return Delivery(
        delivery_id=UUID(row.delivery_id),
        order_id=UUID(row.order_id),
        customer_name=row.customer_name,
        shipping_address=Address(address["street"], address["zip"], address["city"]),
        lines=tuple(DeliveryLine(x["count"], x["itemId"], x["name"]) for x in row.lines),
        created_at=row.created_at,
    )
