"""The Kafka source's fast batch decoding against its plain reference, and its gap checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.events import EventDecodeError, envelope_type
from accord.sources import KafkaSource, batch_decoder, record_decoder
from accord.sources._kafka import _ODD

pytestmark = pytest.mark.unit


@dataclass
class Message:
    """What the source reads of a ``confluent_kafka.Message``."""

    _headers: list[tuple[str, bytes | None]] | None
    _value: bytes | None
    _key: bytes | None = b"k"
    _topic: str = "t"
    _partition: int = 0
    _offset: int = 0
    _error: Any = field(default=None)

    def headers(self) -> list[tuple[str, bytes | None]] | None:
        return self._headers

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def error(self) -> Any:
        return self._error


texts = st.text(max_size=8).map(str.encode) | st.sampled_from([b"\xff\xfe", b""])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
values = (
    json_values.map(orjson.dumps)
    | st.fixed_dictionaries({"orderId": json_values}).map(orjson.dumps)
    | st.sampled_from([None, b"not json", b'{"a": 1} x'])
)
names = st.sampled_from(
    ["ce_type", "ce_time", "ce_id", "ce_partitionkey", "ce_source", "content-type", "x"]
)
headers = (
    st.none()
    | st.lists(st.tuples(names, texts | st.none()), max_size=8).map(
        lambda hs: [*hs, ("ce_type", b"t"), ("ce_time", b"2026-01-01T00:00:00Z"), ("ce_id", b"1")]
    )
    | st.lists(st.tuples(names, texts), max_size=6)
)
content_types = st.sampled_from(
    [[], [("content-type", b"application/json")], [("content-type", b"text/plain")]]
)
records = st.builds(
    lambda h, ct, v, k: Message(None if h is None else h + ct, v, k),
    headers,
    content_types,
    values,
    st.none() | texts,
)
POINTERS = [frozenset(), frozenset({("data", "orderId")}), frozenset({("data",)})]


def reference(messages: list[Message], envelope: Any) -> list[tuple[Any, Message]]:
    decode = record_decoder(envelope)
    out = []
    for message in messages:
        try:
            out.append((decode(message), message))
        except EventDecodeError:
            continue
    return out


def test_binary_mode_records_take_the_fast_path() -> None:
    from accord.events import make_event, to_kafka

    messages = []
    for n in range(3):
        kafka = to_kafka(make_event("t", "/s", {"orderId": f"o{n}", "x": [1]}, key=f"k{n}"))
        messages.append(Message(kafka.headers, kafka.value, kafka.key, _offset=n))
    for pointers in POINTERS:
        envelope = envelope_type(pointers)
        fast = batch_decoder(envelope)
        assert fast is not None
        got = fast(messages)
        assert got == reference(messages, envelope)
        assert [e.partitionkey for e, _ in got] == ["k0", "k1", "k2"]


@settings(max_examples=60, deadline=None)
@given(st.lists(records, min_size=1, max_size=5), st.sampled_from(POINTERS))
def test_the_batch_decoder_gives_what_one_record_at_a_time_gives(
    messages: list[Message], pointers: frozenset[tuple[str, ...]]
) -> None:
    envelope = envelope_type(pointers)
    fast = batch_decoder(envelope)
    assert fast is not None
    expected = reference(messages, envelope)
    try:
        got = fast(messages)
    except _ODD:
        return  # the source then decodes the batch with the reference
    assert got == expected  # every record was a CloudEvent, decoded the same


def test_an_envelope_reading_other_attributes_has_no_batch_decoder() -> None:
    assert batch_decoder(envelope_type(frozenset({("source",)}))) is None


class Positions:
    """A consumer that only answers ``position``, as librdkafka would after a batch."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, int], int] = {}

    def position(self, partitions: list[Any]) -> list[Any]:
        for tp in partitions:
            tp.offset = self.at[tp.topic, tp.partition]
        return partitions


def _batch(consumer: Positions, offsets: list[int], partition: int = 0) -> list[Message]:
    batch = [Message([], None, _partition=partition, _offset=o) for o in offsets]
    consumer.at["t", partition] = offsets[-1] + 1
    return batch


def test_offsets_that_continue_are_complete_and_gaps_are_named() -> None:
    source = KafkaSource("127.0.0.1:9", ["t"])
    consumer, expected = Positions(), {}
    for offsets in ([5, 6, 7], [8, 9], [10]):
        source._check_offsets(consumer, _batch(consumer, offsets), expected)
    source._check_offsets(consumer, _batch(consumer, [0], partition=1), expected)
    assert source.incomplete == []
    source._check_offsets(consumer, _batch(consumer, [11, 14, 15]), expected)
    source._check_offsets(consumer, _batch(consumer, [0, 1]), expected)
    assert source.incomplete == [
        "t/0: offsets jumped from 12 to 14; records 12..13 were never read "
        "(removed, or transaction markers)",
        "t/0: offsets went back from 16 to 0 (the broker lost records or the topic was "
        "recreated); events before may be missing",
    ]


def test_dead_lettered_copies_leave_the_batch_as_whole_events() -> None:
    from accord.events import Envelope, Location, make_event, to_kafka

    kafka = to_kafka(make_event("order.accepted", "/s", {}, key="k1", id="o1"))
    normal = Message(kafka.headers, kafka.value, kafka.key, _offset=0)
    dead = Message(
        [
            *kafka.headers,
            ("accord-error", b"UnprocessableEvent: no"),
            ("accord-origin", b"order/0@0"),
        ],
        kafka.value,
        kafka.key,
        _topic="order.dlq",
        _offset=3,
    )
    source = KafkaSource("127.0.0.1:9", ["order", "order.dlq"])
    pairs, letters = source._decode([normal, dead], batch_decoder(Envelope), Envelope)
    assert [(e.id, m) for e, m in pairs] == [("o1", normal)]
    [(event, where)] = letters
    assert event["deadletterreason"] == "UnprocessableEvent: no"
    assert where == Location("order.dlq", partition=0, offset=3, key="k1")


def test_consumer_settings_in_kafka_python_spelling_become_librdkafka_properties() -> None:
    from accord.broker import ExternalBroker, to_librdkafka

    config = ExternalBroker("127.0.0.1:9092").consumer_config(
        group_id=None, bootstrap_timeout_ms=3000, fetch_max_wait_ms=50
    )
    assert to_librdkafka({**config, "queued.min.messages": 10}) == {
        "bootstrap.servers": "127.0.0.1:9092",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 50,
        "queued.min.messages": 10,
    }
