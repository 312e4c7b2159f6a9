"""Invoicing use cases: the unit of work and the ``order.accepted`` handler."""
