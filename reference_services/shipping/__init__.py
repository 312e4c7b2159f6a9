"""The shipping service: consumes ``order.accepted``, creates deliveries, publishes
``delivery.created`` to ``delivery``."""
