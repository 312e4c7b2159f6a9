"""The shipping unit of work: deliveries and the outbox in one session."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import SqlAlchemyUnitOfWorkBase
from reference_services.shipping.adapters import events, orm
from reference_services.shipping.adapters.repository import DeliveryRepository
from reference_services.shipping.domain import DeliveryCreated

__all__ = ["SqlAlchemyUnitOfWork", "UnitOfWork"]


class UnitOfWork(Protocol):
    deliveries: DeliveryRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def publish(self, event: DeliveryCreated) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyUnitOfWorkBase):
    deliveries: DeliveryRepository

    def __init__(self, engine: Engine, after_commit: Callable[[], None] | None = None) -> None:
        super().__init__(engine, orm.outbox, after_commit)

    def _open(self, session: Session) -> None:
        self.deliveries = DeliveryRepository(session)

    def publish(self, event: DeliveryCreated) -> None:
        """Put ``delivery.created`` into the outbox (same transaction as the delivery)."""
        self.outbox.add(events.TOPIC, events.delivery_created_event(event.delivery))
