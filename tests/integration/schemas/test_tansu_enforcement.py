"""Broker-side enforcement: Tansu, given accord's exported registry, rejects invalid records."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer
from kafka.errors import InvalidRecordError

from accord.broker import EmbeddedBroker
from accord.events import to_kafka
from accord.schemas import export_tansu_registry
from accord.schemas._samples import sample_event

pytestmark = pytest.mark.integration

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


@pytest.fixture(scope="module")
def enforcing_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    registry = tmp_path_factory.mktemp("tansu-registry")
    export_tansu_registry(CONTRACTS, registry)
    log = tmp_path_factory.mktemp("tansu-log") / "tansu.log"
    with EmbeddedBroker(schema_registry=registry, log_path=log) as broker:
        broker.create_topics(["order", "delivery", "invoice", "order.dlq"], partitions=1)
        yield broker


@pytest.fixture(scope="module")
def producer(enforcing_broker: EmbeddedBroker) -> Iterator[KafkaProducer]:
    # No retries: a rejected record must surface as the broker's error, once.
    client = KafkaProducer(**enforcing_broker.producer_config(retries=0))
    yield client
    client.close()


def send(producer: KafkaProducer, topic: str, event: dict[str, Any]) -> Any:
    message = to_kafka(event)
    return producer.send(
        topic, key=message.key, value=message.value, headers=message.headers
    ).get(timeout=15)


@pytest.mark.parametrize(
    ("topic", "event_type"),
    [("order", "order.accepted"), ("delivery", "delivery.created"),
     ("invoice", "invoice.created")],
)
def test_valid_records_are_accepted(
    producer: KafkaProducer, topic: str, event_type: str
) -> None:
    metadata = send(producer, topic, sample_event(event_type, random.Random(1)))
    assert metadata.topic == topic and metadata.offset >= 0


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["lines"][0]["item"].__setitem__("price", 12.5), id="price-number"),
        pytest.param(lambda d: d.pop("total"), id="missing-total"),
        pytest.param(lambda d: d.__setitem__("orderId", "order-1"), id="uuid-format"),
        pytest.param(lambda d: d["customer"].__setitem__("email", "ada"), id="email-format"),
        pytest.param(lambda d: d.__setitem__("acceptedAt", "yesterday"), id="date-time-format"),
    ],
)
def test_invalid_order_values_are_rejected_by_the_broker(
    producer: KafkaProducer, mutate: Any
) -> None:
    event = sample_event("order.accepted", random.Random(2))
    mutate(event["data"])
    with pytest.raises(InvalidRecordError):
        send(producer, "order", event)


def test_a_value_that_is_not_json_is_rejected(producer: KafkaProducer) -> None:
    with pytest.raises(InvalidRecordError):
        producer.send("order", key=b"k", value=b"not json").get(timeout=15)


def test_the_wrong_event_on_a_topic_is_rejected(producer: KafkaProducer) -> None:
    # An invoice is valid on 'invoice' but not on 'order'.
    with pytest.raises(InvalidRecordError):
        send(producer, "order", sample_event("invoice.created", random.Random(3)))


def test_topics_without_a_schema_take_anything(producer: KafkaProducer) -> None:
    metadata = producer.send("order.dlq", key=b"k", value=orjson.dumps({"any": 1})).get(timeout=15)
    assert metadata.offset >= 0


def test_any_registered_version_is_accepted(tmp_path: Path) -> None:
    # A v2 of order.accepted with one more (optional) property: Tansu must take v1 and v2
    # records and still refuse what neither allows. v1 takes any unlisted string property
    # (partially open), so v2's property is an integer, which only v2 allows.
    contracts = tmp_path / "contracts"
    folder = contracts / "schemas" / "order.accepted"
    folder.mkdir(parents=True)
    v1 = orjson.loads((CONTRACTS / "schemas" / "order.accepted" / "v1.json").read_bytes())
    v2 = {**v1, "$id": "urn:accord:schemas:order.accepted:v2",
          "properties": {**v1["properties"], "note": {"type": "integer", "maximum": 20}}}
    (folder / "v1.json").write_bytes(orjson.dumps(v1))
    (folder / "v2.json").write_bytes(orjson.dumps(v2))
    registry = tmp_path / "registry"
    export_tansu_registry(contracts, registry, {"order": "order.accepted"})
    with EmbeddedBroker(schema_registry=registry, log_path=tmp_path / "tansu.log") as broker:
        broker.create_topics(["order"], partitions=1)
        client = KafkaProducer(**broker.producer_config(retries=0))
        try:
            event = sample_event("order.accepted", random.Random(4))
            send(client, "order", event)  # v1
            event["data"]["note"] = 20
            send(client, "order", event)  # v2 only
            event["data"]["note"] = 21  # neither
            with pytest.raises(InvalidRecordError):
                send(client, "order", event)
        finally:
            client.close()
