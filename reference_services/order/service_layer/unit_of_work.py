"""The order service's unit of work: customers, items, orders and the outbox in one session."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import SqlAlchemyUnitOfWorkBase
from reference_services.common.unit_of_work import UnitOfWork as BaseUnitOfWork
from reference_services.order.adapters import events, orm
from reference_services.order.adapters.repository import (
    CustomerRepository,
    ItemRepository,
    OrderRepository,
)
from reference_services.order.domain import OrderAccepted

__all__ = ["SqlAlchemyUnitOfWork", "UnitOfWork"]


class UnitOfWork(BaseUnitOfWork, Protocol):
    customers: CustomerRepository
    items: ItemRepository
    orders: OrderRepository

    def publish(self, event: OrderAccepted) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyUnitOfWorkBase):
    """See :class:`~reference_services.common.unit_of_work.SqlAlchemyUnitOfWorkBase`."""

    customers: CustomerRepository
    items: ItemRepository
    orders: OrderRepository

    outbox_table = orm.outbox

    def _open(self, session: Session) -> None:
        self.customers = CustomerRepository(session)
        self.items = ItemRepository(session)
        self.orders = OrderRepository(session)

    def publish(self, event: OrderAccepted) -> None:
        """Put the domain event into the outbox (same transaction as the order row)."""
        self.outbox.add(events.TOPIC, events.order_accepted_event(event.order))
