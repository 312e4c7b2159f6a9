"""The invoicing service: consumes ``order.accepted``, creates invoices, publishes
``invoice.created`` to ``invoice``."""
