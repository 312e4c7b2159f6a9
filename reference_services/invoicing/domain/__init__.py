"""Invoices with exact decimal money; no framework imports."""

from __future__ import annotations

from reference_services.invoicing.domain.model import (
    CURRENCY,
    Address,
    Customer,
    InvalidInvoice,
    Invoice,
    InvoiceCreated,
    InvoiceLine,
    OrderToInvoice,
    create_invoice,
)

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
