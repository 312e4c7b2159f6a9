"""``accord schema validate kafka://...`` on records of a real topic (the session broker)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaProducer

from accord.broker import EmbeddedBroker
from accord.cli import main
from accord.events import to_kafka
from accord.schemas._samples import sample_event

pytestmark = pytest.mark.integration

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


def test_records_of_a_topic_are_validated_with_their_key(
    broker: EmbeddedBroker,
    unique_topic: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic = unique_topic("order")
    broker.create_topics([topic], partitions=1)
    rng = random.Random(11)
    good, mismatched, broken, last = (sample_event("order.accepted", rng) for _ in range(4))
    broken["data"]["lines"][0]["item"]["price"] = 12.5
    other_key = str(uuid.UUID(int=rng.getrandbits(128)))

    producer = KafkaProducer(**broker.producer_config())
    try:
        for event, key in ((good, None), (mismatched, other_key), (broken, None)):
            message = to_kafka(event)
            producer.send(topic, key=(key or "").encode() or message.key,
                          value=message.value, headers=message.headers)
        producer.send(topic, key=b"k", value=b'{"no": "headers"}')  # not a CloudEvent
        message = to_kafka(last)
        producer.send(topic, key=message.key, value=message.value, headers=message.headers)
        producer.flush(timeout=15)
    finally:
        producer.close()

    code = main([
        "schema", "validate", "--contracts", str(CONTRACTS),
        f"kafka://{broker.bootstrap_servers}/{topic}",
    ])
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{topic}/0@1: order.accepted {mismatched['id']}: /partitionkey: expected the record "
        f'key "{other_key}", got "{mismatched["partitionkey"]}"',
        f"{topic}/0@2: order.accepted {broken['id']}: /data/lines/0/item/price: expected "
        "string, got number 12.5",
        f"{topic}/0@3: ? ?: /: not a CloudEvent in Kafka binary mode (record has no ce_ "
        "headers)",
        "5 events checked: 2 valid, 3 invalid (3 violations)",
    ]
    assert code == 1


def test_a_topic_of_valid_records_exits_0(
    broker: EmbeddedBroker,
    unique_topic: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    topics = [unique_topic("delivery"), unique_topic("invoice")]
    broker.create_topics(topics, partitions=3)
    rng = random.Random(12)
    producer = KafkaProducer(**broker.producer_config())
    try:
        for topic, event_type in zip(topics, ("delivery.created", "invoice.created"), strict=True):
            for _ in range(5):
                message = to_kafka(sample_event(event_type, rng))
                producer.send(topic, key=message.key, value=message.value,
                              headers=message.headers)
        producer.flush(timeout=15)
    finally:
        producer.close()
    code = main([
        "schema", "validate", "--contracts", str(CONTRACTS),
        f"kafka://{broker.bootstrap_servers}/{','.join(topics)}",
    ])
    assert capsys.readouterr().out.splitlines() == [
        "10 events checked: 10 valid, 0 invalid (0 violations)"
    ]
    assert code == 0


def test_a_missing_topic_is_unusable_input(
    broker: EmbeddedBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([
        "schema", "validate", "--contracts", str(CONTRACTS),
        f"kafka://{broker.bootstrap_servers}/no-such-topic-{uuid.uuid4().hex[:8]}",
    ])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
