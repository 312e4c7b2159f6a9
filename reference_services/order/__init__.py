"""The order service: accepts orders over HTTP and publishes ``order.accepted`` to ``order``."""
