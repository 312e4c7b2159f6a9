"""The shipping unit of work: deliveries and the outbox in one session."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import SqlAlchemyUnitOfWorkBase
from reference_services.common.unit_of_work import UnitOfWork as BaseUnitOfWork
from reference_services.shipping.adapters import events, orm
from reference_services.shipping.adapters.repository import DeliveryRepository
from reference_services.shipping.domain import DeliveryCreated

__all__ = ["SqlAlchemyUnitOfWork", "UnitOfWork"]


class UnitOfWork(BaseUnitOfWork, Protocol):
    deliveries: DeliveryRepository

    def publish(self, event: DeliveryCreated) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyUnitOfWorkBase):
    deliveries: DeliveryRepository

    outbox_table = orm.outbox

    def _open(self, session: Session) -> None:
        self.deliveries = DeliveryRepository(session)

    def publish(self, event: DeliveryCreated) -> None:
        """Put ``delivery.created`` into the outbox (same transaction as the delivery)."""
        self.outbox.add(events.TOPIC, events.delivery_created_event(event.delivery))
