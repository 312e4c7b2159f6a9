"""Records that can never be processed, on the real broker and PostgreSQL: a value over the
producer's 1 MB request limit and an event that makes PostgreSQL fail are dead-lettered with
their reason, and the good records behind them, in their partition and in the others, are
processed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from accord.broker import EmbeddedBroker
from accord.events import to_kafka
from reference_services.bootstrap import RunningService, Topics, running
from reference_services.common.consumer import ERROR_HEADER, ORIGIN_HEADER
from reference_services.samples import sample_order_accepted

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def invoicing(broker: EmbeddedBroker) -> Iterator[RunningService]:
    from accord.testing import postgres_database

    suffix = uuid.uuid4().hex[:8]
    topics = Topics(f"order-{suffix}", f"delivery-{suffix}", f"invoice-{suffix}")
    with (
        postgres_database(prefix="accord_poison") as url,
        running(
            "invoicing",
            database_url=url,
            bootstrap_servers=broker.bootstrap_servers,
            group_id=f"invoicing-{suffix}",
            topics=topics,
        ) as service,
    ):
        yield service


@pytest.fixture(scope="module")
def producer(broker: EmbeddedBroker) -> Iterator[Any]:
    """A producer that may send records of up to 8 MB, as another client of the topic might."""
    from kafka import KafkaProducer

    made = KafkaProducer(**broker.producer_config(max_request_size=8 * 1024 * 1024))
    yield made
    made.close()


def send(producer: Any, topic: str, partition: int, event: dict[str, Any]) -> None:
    message = to_kafka(event)
    producer.send(
        topic, key=message.key, value=message.value, headers=message.headers, partition=partition
    ).get(timeout=10)


def invoices(service: RunningService, order_id: str) -> int:
    response = requests.get(f"{service.url}/invoices", params={"orderId": order_id}, timeout=5)
    return int(response.json()["total"])


def dead_letters(read_topic: Any, broker: EmbeddedBroker, service: Any, key: str) -> list[Any]:
    topic = service.runtime.consumer.topics[0] + ".dlq"
    return [r for r in read_topic(broker.bootstrap_servers, topic) if r.key == key.encode()]


def test_a_record_over_a_megabyte_is_dead_lettered_truncated_and_the_partition_goes_on(
    invoicing: RunningService, producer: Any, broker: EmbeddedBroker, read_topic: Any,
    eventually: Any,
) -> None:  # fmt: skip
    topic = invoicing.runtime.consumer.topics[0]  # type: ignore[union-attr]
    key = f"huge-{uuid.uuid4()}"
    value = b"{" + b"x" * (5 * 1024 * 1024)  # 5 MB, not JSON
    producer.send(
        topic, key=key.encode(), value=value, partition=0,
        headers=[("ce_type", b"order.accepted"), ("ce_id", b"huge-1")],
    ).get(timeout=10)  # fmt: skip
    good = sample_order_accepted()
    send(producer, topic, 0, good)

    eventually(lambda: _assert(invoices(invoicing, good["partitionkey"]) == 1), timeout_s=30)
    [copy] = eventually(lambda: _nonempty(dead_letters(read_topic, broker, invoicing, key)))
    headers = dict(copy.headers)
    assert len(copy.value) < 1024 * 1024
    assert value.startswith(copy.value)
    assert headers["accord-original-size"] == str(len(value)).encode()
    assert b"truncated" in headers["accord-truncated"]
    assert b"value is not JSON" in headers[ERROR_HEADER]
    assert headers[ORIGIN_HEADER].startswith(f"{topic}/0@".encode())
    assert headers["ce_id"] == b"huge-1"


def _assert(condition: bool) -> None:
    assert condition


def _nonempty(items: list[Any]) -> list[Any]:
    assert items
    return items


def test_an_event_postgresql_refuses_is_dead_lettered_and_holds_up_no_partition(
    invoicing: RunningService, producer: Any, broker: EmbeddedBroker, read_topic: Any,
    eventually: Any,
) -> None:  # fmt: skip
    topic = invoicing.runtime.consumer.topics[0]  # type: ignore[union-attr]
    price = "99999999999999.99"  # schema-valid money, but above the invoice's Numeric(14,2)
    line = {"count": 1, "item": {"itemId": "i-1", "name": "iPod", "price": price}}
    bad = sample_order_accepted(lines=[line], total=price)
    behind, other = sample_order_accepted(), sample_order_accepted()
    send(producer, topic, 1, bad)
    send(producer, topic, 1, behind)
    send(producer, topic, 0, other)

    for event in (other, behind):
        order_id = event["partitionkey"]
        eventually(lambda: _assert(invoices(invoicing, order_id) == 1), timeout_s=30)  # noqa: B023
    [copy] = eventually(
        lambda: _nonempty(dead_letters(read_topic, broker, invoicing, bad["partitionkey"]))
    )
    reason = dict(copy.headers)[ERROR_HEADER].decode()
    assert reason.startswith("DataError"), reason
    assert "numeric field overflow" in reason
    assert "after 3 attempts" in reason
    assert invoices(invoicing, bad["partitionkey"]) == 0


def test_a_database_outage_is_retried_past_the_bound_and_not_dead_lettered(
    invoicing: RunningService, producer: Any, eventually: Any
) -> None:
    """PostgreSQL refusing connections is not the record's fault: the record is retried for
    as long as that lasts (more than the 3 attempts a bad record gets), health says why, and
    it is processed once the database is back."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from accord.testing import DEFAULT_ADMIN_URL

    consumer = invoicing.runtime.consumer
    assert consumer is not None
    database = make_url(invoicing.runtime.engine.url).database
    admin = create_engine(DEFAULT_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def allow_connections(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {allowed}'))
            if not allowed:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :name"),
                    {"name": database},
                )  # fmt: skip

    dead_before = consumer.dead_lettered
    good = sample_order_accepted()
    allow_connections(False)
    try:
        send(producer, consumer.topics[0], 2, good)

        def retried_past_the_bound() -> tuple[int, bool, str]:
            [(attempts, transient, error)] = consumer.retrying().values()
            assert attempts > 3
            return attempts, transient, error

        _, transient, error = eventually(retried_past_the_bound, timeout_s=30)
        assert transient, error
        assert error.startswith("OperationalError"), error
        health = requests.get(f"{invoicing.url}/health", timeout=5)
        assert health.status_code == 503
        assert health.json()["reason"].startswith("database not reachable")
    finally:
        allow_connections(True)
        admin.dispose()
    eventually(lambda: _assert(invoices(invoicing, good["partitionkey"]) == 1), timeout_s=30)
    assert consumer.dead_lettered == dead_before
    assert consumer.retrying() == {}
