"""The invoicing service's tables (prefixed ``invoicing_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, Numeric, String, Table

from reference_services.common.db import UTCDateTime
from reference_services.common.outbox import outbox_table

__all__ = ["invoices", "metadata", "outbox"]

metadata = MetaData()

invoices = Table(
    "invoicing_invoices",
    metadata,
    Column("invoice_id", String(36), primary_key=True),
    # One invoice per order: the database enforces the idempotency the handler relies on.
    Column("order_id", String(36), nullable=False, unique=True),
    Column("customer", JSON, nullable=False),
    Column("billing_address", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("total", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

outbox = outbox_table(metadata, "invoicing_outbox")
