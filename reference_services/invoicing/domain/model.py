"""The invoicing domain: who pays how much for what, in exact decimals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

__all__ = [
    "CURRENCY",
    "Address",
    "Customer",
    "InvalidInvoice",
    "Invoice",
    "InvoiceCreated",
    "InvoiceLine",
    "OrderToInvoice",
    "create_invoice",
]

CURRENCY = "EUR"
_ZERO = Decimal("0.00")


class InvalidInvoice(ValueError):
    """An accepted order invoicing cannot bill."""


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    zip: str
    city: str


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    count: int
    item_id: str
    name: str
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.count


@dataclass(frozen=True, slots=True)
class OrderToInvoice:
    """Invoicing's view of an accepted order, including the total the order service stated."""

    order_id: UUID
    customer: Customer
    billing_address: Address
    lines: tuple[InvoiceLine, ...]
    stated_total: Decimal
    #: ``currency`` of ``order.accepted`` v2; v1 data carries none and is in EUR
    currency: str = CURRENCY


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: UUID
    order_id: UUID
    customer: Customer
    billing_address: Address
    lines: tuple[InvoiceLine, ...]
    created_at: datetime
    currency: str = CURRENCY

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), _ZERO)


@dataclass(frozen=True, slots=True)
class InvoiceCreated:
    """Domain event: published as ``invoice.created``."""

    invoice: Invoice


def create_invoice(order: OrderToInvoice, invoice_id: UUID, created_at: datetime) -> Invoice:
    """Bill an accepted order.

    Rules: at least one line; counts of at least 1; no negative prices; the order is in EUR
    (the only currency invoicing bills in); the invoice total
    (sum of count x unit price, exact) equals the total the order stated, to the cent.

    Raises:
        InvalidInvoice: naming the rule the order breaks.
    """
    if not order.lines:
        raise InvalidInvoice(f"order {order.order_id} has no lines to bill")
    if created_at.tzinfo is None:
        raise InvalidInvoice("created_at must carry a time zone")
    if order.currency != CURRENCY:
        raise InvalidInvoice(
            f"order {order.order_id}: invoicing bills in {CURRENCY} only, got {order.currency}"
        )
    for line in order.lines:
        if line.count < 1:
            raise InvalidInvoice(f"order {order.order_id}: count {line.count} of {line.item_id}")
        if line.unit_price < 0:
            raise InvalidInvoice(f"order {order.order_id}: negative price of {line.item_id}")
    invoice = Invoice(
        invoice_id=invoice_id,
        order_id=order.order_id,
        customer=order.customer,
        billing_address=order.billing_address,
        lines=order.lines,
        created_at=created_at,
    )
    if invoice.total != order.stated_total:
        raise InvalidInvoice(
            f"order {order.order_id}: lines sum to {invoice.total}, "
            f"but the order states a total of {order.stated_total}"
        )
    return invoice
