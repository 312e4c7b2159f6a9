"""The invoicing unit of work: invoices and the outbox in one session."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import SqlAlchemyUnitOfWorkBase
from reference_services.invoicing.adapters import events, orm
from reference_services.invoicing.adapters.repository import InvoiceRepository
from reference_services.invoicing.domain import InvoiceCreated

__all__ = ["SqlAlchemyUnitOfWork", "UnitOfWork"]


class UnitOfWork(Protocol):
    invoices: InvoiceRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def publish(self, event: InvoiceCreated) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyUnitOfWorkBase):
    invoices: InvoiceRepository

    def __init__(self, engine: Engine, after_commit: Callable[[], None] | None = None) -> None:
        super().__init__(engine, orm.outbox, after_commit)

    def _open(self, session: Session) -> None:
        self.invoices = InvoiceRepository(session)

    def publish(self, event: InvoiceCreated) -> None:
        """Put ``invoice.created`` into the outbox (same transaction as the invoice)."""
        self.outbox.add(events.TOPIC, events.invoice_created_event(event.invoice))
