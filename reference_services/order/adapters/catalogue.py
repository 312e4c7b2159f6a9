"""The seeded catalogues: a few customers and items with prices (EUR)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, insert, select

from reference_services.order.adapters import orm
from reference_services.order.domain import Customer, Item

__all__ = ["CUSTOMERS", "ITEMS", "seed"]

CUSTOMERS: tuple[Customer, ...] = (
    Customer("c-1", "Ada Lovelace", "ada@example.com"),
    Customer("c-2", "Alan Turing", "alan@example.com"),
    Customer("c-3", "Grace Hopper", "grace@example.com"),
    Customer("c-4", "Edsger Dijkstra", "edsger@example.com"),
)

ITEMS: tuple[Item, ...] = (
    Item("i-1", "iPod", Decimal("199.99")),
    Item("i-2", "iPod nano", Decimal("149.00")),
    Item("i-3", "iPod shuffle", Decimal("49.95")),
    Item("i-4", "USB cable", Decimal("9.90")),
    Item("i-5", "Headphones", Decimal("0.99")),
)


def seed(engine: Engine) -> None:
    """Insert the catalogue rows that are missing (safe to run on every start)."""
    with engine.begin() as conn:
        have_customers = set(conn.scalars(select(orm.customers.c.customer_id)))
        have_items = set(conn.scalars(select(orm.items.c.item_id)))
        new_customers = [
            {"customer_id": c.customer_id, "name": c.name, "email": c.email}
            for c in CUSTOMERS
            if c.customer_id not in have_customers
        ]
        new_items = [
            {"item_id": i.item_id, "name": i.name, "price": i.price}
            for i in ITEMS
            if i.item_id not in have_items
        ]
        if new_customers:
            conn.execute(insert(orm.customers), new_customers)
        if new_items:
            conn.execute(insert(orm.items), new_items)
