"""Kafka clients for the services, configured by accord's broker object (Tansu-friendly
session timeouts come from there, not from here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accord.broker import ExternalBroker

__all__ = ["TOPIC_PARTITIONS", "connect", "ensure_topics", "make_consumer", "make_producer"]

TOPIC_PARTITIONS = 3


def connect(bootstrap_servers: str, ready_timeout_s: float = 30.0) -> ExternalBroker:
    """The broker at ``bootstrap_servers``, after a successful metadata round trip."""
    return ExternalBroker(bootstrap_servers, ready_timeout_s=ready_timeout_s).start()


def ensure_topics(broker: ExternalBroker, names: Iterable[str]) -> None:
    """Create the topics that are missing, with :data:`TOPIC_PARTITIONS` partitions."""
    broker.create_topics(names, partitions=TOPIC_PARTITIONS)


def make_producer(broker: ExternalBroker, client_id: str) -> Any:
    """A ``KafkaProducer`` with ``acks=all`` (every send is awaited by its caller).

    ``send`` blocks at most 5 s for metadata (kafka-python's default is 60 s), so that a
    broker that went away fails a relay round soon enough to recreate the producer.
    """
    from kafka import KafkaProducer

    return KafkaProducer(
        **broker.producer_config(client_id=client_id, acks="all", retries=5, max_block_ms=5000)
    )


def make_consumer(
    broker: ExternalBroker, group_id: str, client_id: str, max_poll_records: int = 100
) -> Any:
    """A ``KafkaConsumer`` in ``group_id``, manual commits, from the earliest offset."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        **broker.consumer_config(
            group_id=group_id,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_poll_records,
        )
    )
