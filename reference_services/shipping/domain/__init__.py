"""Deliveries; no framework imports."""

from __future__ import annotations

from reference_services.shipping.domain.model import (
    Address,
    Delivery,
    DeliveryCreated,
    DeliveryLine,
    InvalidDelivery,
    OrderToShip,
    create_delivery,
)

__all__ = [
    "Address",
    "Delivery",
    "DeliveryCreated",
    "DeliveryLine",
    "InvalidDelivery",
    "OrderToShip",
    "create_delivery",
]
