"""The shipping service's tables (prefixed ``shipping_``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table

from reference_services.common.db import UTCDateTime
from reference_services.common.outbox import outbox_table

__all__ = ["deliveries", "metadata", "outbox"]

metadata = MetaData()

deliveries = Table(
    "shipping_deliveries",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    # One delivery per order: the database enforces the idempotency the handler relies on.
    Column("order_id", String(36), nullable=False, unique=True),
    Column("customer_name", String(200), nullable=False),
    Column("shipping_address", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

outbox = outbox_table(metadata, "shipping_outbox")
