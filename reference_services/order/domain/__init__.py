"""Orders, customers and items; no framework imports."""

from __future__ import annotations

from reference_services.order.domain.model import (
    MAX_COUNT,
    MAX_LINES,
    Address,
    Customer,
    InvalidOrder,
    Item,
    Order,
    OrderAccepted,
    OrderLine,
    UnknownCustomer,
    UnknownItem,
    accept_order,
)

__all__ = [
    "MAX_COUNT",
    "MAX_LINES",
    "Address",
    "Customer",
    "InvalidOrder",
    "Item",
    "Order",
    "OrderAccepted",
    "OrderLine",
    "UnknownCustomer",
    "UnknownItem",
    "accept_order",
]
