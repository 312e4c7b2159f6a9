"""The invoice repository."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reference_services.common.unit_of_work import execute_insert
from reference_services.common.wire import address_json
from reference_services.invoicing.adapters import orm
from reference_services.invoicing.domain import Address, Customer, Invoice, InvoiceLine

__all__ = ["InvoiceRepository"]

_t = orm.invoices


class InvoiceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, invoice: Invoice) -> None:
        """Insert; raises :class:`~reference_services.common.errors.Conflict` for a known order."""
        address, customer = invoice.billing_address, invoice.customer
        execute_insert(
            self._session,
            _t.insert().values(
                invoice_id=str(invoice.invoice_id),
                order_id=str(invoice.order_id),
                customer={
                    "customerId": customer.customer_id,
                    "name": customer.name,
                    "email": customer.email,
                },
                billing_address=address_json(address),
                lines=[
                    {
                        "count": line.count,
                        "itemId": line.item_id,
                        "name": line.name,
                        "unitPrice": str(line.unit_price),
                    }
                    for line in invoice.lines
                ],
                total=invoice.total,
                currency=invoice.currency,
                created_at=invoice.created_at,
            ),
        )

    def get(self, invoice_id: UUID) -> Invoice | None:
        row = self._session.execute(select(_t).where(_t.c.invoice_id == str(invoice_id))).first()
        return _invoice(row) if row else None

    def get_by_order_id(self, order_id: UUID) -> Invoice | None:
        row = self._session.execute(select(_t).where(_t.c.order_id == str(order_id))).first()
        return _invoice(row) if row else None

    def list(
        self, page: int, size: int, order_id: UUID | None = None
    ) -> tuple[list[Invoice], int]:
        """One page, newest first, optionally only the invoice of ``order_id``."""
        where = [_t.c.order_id == str(order_id)] if order_id is not None else []
        total = self._session.scalar(select(func.count()).select_from(_t).where(*where)) or 0
        rows = self._session.execute(
            select(_t)
            .where(*where)
            .order_by(_t.c.created_at.desc(), _t.c.invoice_id)
            .offset(page * size)
            .limit(size)
        ).all()
        return [_invoice(row) for row in rows], int(total)


def _invoice(row: Any) -> Invoice:
    address, customer = row.billing_address, row.customer
    return Invoice(
        invoice_id=UUID(row.invoice_id),
        order_id=UUID(row.order_id),
        customer=Customer(customer["customerId"], customer["name"], customer["email"]),
        billing_address=Address(address["street"], address["zip"], address["city"]),
        lines=tuple(
            InvoiceLine(x["count"], x["itemId"], x["name"], Decimal(x["unitPrice"]))
            for x in row.lines
        ),
        created_at=row.created_at,
        currency=row.currency,
    )
