"""The reference system of the talk: order, shipping and invoicing, each its own service."""
