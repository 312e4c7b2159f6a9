"""The three reference services in-process against the session's Tansu broker and real
PostgreSQL, shared by the module (the consumer-group joins cost ~3 s, paid once)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from tenacity import Retrying, stop_after_delay, wait_fixed

from accord.broker import EmbeddedBroker
from accord.testing import postgres_database
from reference_services.bootstrap import SERVICES, Topics, bootstrap
from reference_services.common.runtime import HttpServer, ServiceRuntime


@dataclass
class System:
    topics: Topics
    bootstrap_servers: str
    database_urls: dict[str, str]
    runtimes: dict[str, ServiceRuntime] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def system(broker: EmbeddedBroker) -> Iterator[System]:
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(f"order-{suffix}", f"delivery-{suffix}", f"invoice-{suffix}")
    with ExitStack() as stack:
        urls = {s: stack.enter_context(postgres_database(prefix="accord_ref")) for s in SERVICES}
        built = System(topics, broker.bootstrap_servers, urls)
        for name in SERVICES:
            runtime = bootstrap(
                name,
                database_url=urls[name],
                bootstrap_servers=broker.bootstrap_servers,
                group_id=f"{name}-{suffix}",
                topics=topics,
            )
            stack.callback(runtime.stop)
            runtime.start()
            server = stack.enter_context(HttpServer(runtime.app))
            built.runtimes[name] = runtime
            built.urls[name] = server.url
        # Both consumer groups join at the same time; wait for both assignments.
        for attempt in Retrying(stop=stop_after_delay(30), wait=wait_fixed(0.05), reraise=True):
            with attempt:
                assert all(r.ready()[0] for r in built.runtimes.values()), {
                    n: r.ready() for n, r in built.runtimes.items()
                }
        yield built


def _read_topic(bootstrap_servers: str, topic: str, timeout_s: float = 15.0) -> list[Any]:
    """Every record of ``topic`` up to the high-water mark of each partition."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        ids = sorted(consumer.partitions_for_topic(topic) or [])
        partitions = [TopicPartition(topic, p) for p in ids]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        for attempt in Retrying(stop=stop_after_delay(timeout_s), wait=wait_fixed(0), reraise=True):
            with attempt:
                for batch in consumer.poll(timeout_ms=200).values():
                    records.extend(batch)
                # highwater is only known after a fetch (ListOffsets is wrong on Tansu).
                for tp in partitions:
                    high = consumer.highwater(tp)
                    assert high is not None and consumer.position(tp) >= high
        return records
    finally:
        consumer.close()


def _eventually(check: Any, timeout_s: float = 20.0) -> Any:
    """Poll ``check`` (which asserts) until it passes; return its result."""
    for attempt in Retrying(stop=stop_after_delay(timeout_s), wait=wait_fixed(0.05), reraise=True):
        with attempt:
            return check()
    raise AssertionError("unreachable")


@pytest.fixture
def read_topic() -> Any:
    """``read_topic(bootstrap_servers, topic)``: every record up to the high-water marks."""
    return _read_topic


@pytest.fixture
def eventually() -> Any:
    """``eventually(check)``: poll an asserting callable until it passes (20 s deadline)."""
    return _eventually
