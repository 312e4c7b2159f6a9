"""The invoicing unit of work: invoices and the outbox in one session."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import SqlAlchemyUnitOfWorkBase
from reference_services.common.unit_of_work import UnitOfWork as BaseUnitOfWork
from reference_services.invoicing.adapters import events, orm
from reference_services.invoicing.adapters.repository import InvoiceRepository
from reference_services.invoicing.domain import InvoiceCreated

__all__ = ["SqlAlchemyUnitOfWork", "UnitOfWork"]


class UnitOfWork(BaseUnitOfWork, Protocol):
    invoices: InvoiceRepository

    def publish(self, event: InvoiceCreated) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyUnitOfWorkBase):
    invoices: InvoiceRepository

    outbox_table = orm.outbox

    def _open(self, session: Session) -> None:
        self.invoices = InvoiceRepository(session)

    def publish(self, event: InvoiceCreated) -> None:
        """Put ``invoice.created`` into the outbox (same transaction as the invoice)."""
        self.outbox.add(events.TOPIC, events.invoice_created_event(event.invoice))
