"""The order service's tables (prefixed ``order_`` so services may share one database)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, Numeric, String, Table

from reference_services.common.db import UTCDateTime
from reference_services.common.outbox import outbox_table

__all__ = ["customers", "items", "metadata", "orders", "outbox"]

metadata = MetaData()

customers = Table(
    "order_customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
)

items = Table(
    "order_items",
    metadata,
    Column("item_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("price", Numeric(14, 2), nullable=False),
)

orders = Table(
    "order_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("customer", JSON, nullable=False),
    Column("shipping_address", JSON, nullable=False),
    Column("billing_address", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("total", Numeric(14, 2), nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=False, index=True),
)

outbox = outbox_table(metadata, "order_outbox")
