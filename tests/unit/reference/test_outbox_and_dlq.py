"""The outbox relay (marks rows sent only after the broker's ack; a restart re-publishes what
was not acknowledged) and the consumer's dead-letter routing, with a fake broker."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tenacity import Retrying, stop_after_delay, wait_fixed

from accord.events import KafkaMessage, Location, to_kafka
from reference_services.common.consumer import (
    DLQ_KEPT_BYTES,
    ERROR_HEADER,
    ORIGIN_HEADER,
    ORIGINAL_SIZE_HEADER,
    TRUNCATED_HEADER,
    EventConsumer,
    dead_letter_message,
)
from reference_services.common.errors import UnprocessableEvent
from reference_services.common.outbox import OutboxRelay, PendingRecord
from reference_services.common.runtime import ServiceRuntime
from reference_services.order.adapters import orm
from reference_services.order.domain import Address
from reference_services.order.service_layer.handlers import PlaceOrder, place_order
from reference_services.samples import ACCEPTED_AT, sample_order_accepted

pytestmark = pytest.mark.unit


class FakeBroker:
    """Records sends; ``fail_after`` sends succeed, the rest fail (as an unreachable broker)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.sent: list[tuple[str, KafkaMessage]] = []
        self.fail_after = fail_after

    def send(self, topic: str, message: KafkaMessage) -> Future[Any]:
        future: Future[Any] = Future()
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            future.set_exception(TimeoutError("broker did not acknowledge"))
        else:
            self.sent.append((topic, message))
            future.set_result(None)
        return future

    def keys(self) -> list[bytes]:
        return [message.key for _, message in self.sent]


class Crash(Exception):
    pass


def place(runtime: ServiceRuntime, n: int) -> list[str]:
    home = Address("Main 1", "10115", "Berlin")
    ids = []
    for _ in range(n):
        order = place_order(
            PlaceOrder("c-2", home, home, [(1, "i-3")]),
            runtime.uow_factory(),
            now=lambda: ACCEPTED_AT,
        )
        ids.append(str(order.order_id))
    return ids


def test_order_row_and_outbox_row_commit_together(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("order")
    [order_id] = place(runtime, 1)
    relay = OutboxRelay(runtime.engine, orm.outbox, FakeBroker())
    [pending] = relay.pending()
    assert pending.topic == "order"
    assert pending.event["partitionkey"] == order_id
    assert pending.event["type"] == "order.accepted"


def test_relay_marks_sent_only_after_the_ack_and_a_restart_publishes_the_rest(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("order")
    order_ids = place(runtime, 3)
    broker = FakeBroker()

    def crash(records: Sequence[PendingRecord]) -> None:
        raise Crash("process died between handing records to the producer and the acks")

    first = OutboxRelay(runtime.engine, orm.outbox, broker)
    with pytest.raises(Crash):
        first.publish_pending(before_ack=crash)
    assert len(first.pending()) == 3, "nothing acknowledged, so nothing may be marked sent"

    restarted = OutboxRelay(runtime.engine, orm.outbox, broker)
    assert restarted.publish_pending() == 3
    assert restarted.pending() == []
    assert restarted.publish_pending() == 0
    # At least once: the records handed over before the crash went out again after the
    # restart, with the same CloudEvent id, which lets consumers deduplicate.
    assert broker.keys() == [k.encode() for k in order_ids] * 2
    ids = [dict(m.headers)["ce_id"] for _, m in broker.sent]
    assert ids[:3] == ids[3:]


def test_relay_marks_the_acknowledged_prefix_when_the_broker_fails_midway(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("order")
    order_ids = place(runtime, 3)
    relay = OutboxRelay(runtime.engine, orm.outbox, FakeBroker(fail_after=1))
    with pytest.raises(TimeoutError):
        relay.publish_pending()
    assert [r.event["partitionkey"] for r in relay.pending()] == order_ids[1:]


def test_relay_renames_topics(service: Callable[[str], ServiceRuntime]) -> None:
    runtime = service("order")
    place(runtime, 1)
    broker = FakeBroker()
    OutboxRelay(
        runtime.engine, orm.outbox, broker, topic_names={"order": "order-x"}
    ).publish_pending()
    assert [topic for topic, _ in broker.sent] == ["order-x"]


def consumer_with(handler: Callable[[dict[str, Any]], object], dlq: FakeBroker) -> EventConsumer:
    return EventConsumer(lambda: None, ["order"], {"order.accepted": handler}, dlq)


def record_of(event: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes | None]]]:
    message = to_kafka(event)
    return message.key, message.value, list(message.headers)


@pytest.mark.parametrize(
    ("key", "value", "headers", "reason"),
    [
        (
            b"k",
            b"{not json",
            [("ce_type", b"order.accepted")],
            "EventDecodeError: value is not JSON",
        ),
        (b"k", b"{}", [], "EventDecodeError: record has no ce_ headers"),
        (*record_of({**sample_order_accepted(), "type": "order.shipped"}), "unknown event type"),
        (*record_of(sample_order_accepted(orderId="nope")), "UnprocessableEvent: /orderId"),
    ],
)
def test_unprocessable_records_go_to_the_dlq_with_the_reason(
    key: bytes, value: bytes, headers: list[tuple[str, bytes | None]], reason: str
) -> None:
    handled: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> None:
        from reference_services.shipping.adapters.events import parse_order_accepted

        parse_order_accepted(event)
        handled.append(event)

    dlq = FakeBroker()
    consumer = consumer_with(handler, dlq)
    assert consumer.process("order", 2, 17, key, value, headers) is False
    [(topic, message)] = dlq.sent
    assert topic == "order.dlq"
    assert (message.key, message.value) == (key, value)
    assert message.headers[: len(headers)] == [(n, v or b"") for n, v in headers]
    extra = dict(message.headers[len(headers) :])
    assert reason in extra[ERROR_HEADER].decode()
    assert extra[ORIGIN_HEADER] == b"order/2@17"
    assert handled == []
    # The loop goes on: the next good record is handled.
    assert consumer.process("order", 2, 18, *record_of(sample_order_accepted())) is True
    assert len(handled) == 1
    assert (consumer.handled, consumer.dead_lettered) == (1, 1)


def test_errors_that_are_not_the_records_fault_are_retried_not_dead_lettered() -> None:
    def database_down(event: dict[str, Any]) -> None:
        raise ConnectionError("database is down")

    dlq = FakeBroker()
    consumer = consumer_with(database_down, dlq)
    with pytest.raises(ConnectionError):
        consumer.process("order", 0, 1, *record_of(sample_order_accepted()))
    assert dlq.sent == []


def test_handler_raising_unprocessable_is_dead_lettered() -> None:
    def refuse(event: dict[str, Any]) -> None:
        raise UnprocessableEvent(f"no thanks {uuid.uuid4()}")

    dlq = FakeBroker()
    assert (
        consumer_with(refuse, dlq).process("o", 0, 0, *record_of(sample_order_accepted())) is False
    )
    assert dlq.sent[0][0] == "o.dlq"


class DeadProducerBroker(FakeBroker):
    """A publisher whose producer is in a fatal state until :meth:`renew` replaces it."""

    def __init__(self) -> None:
        super().__init__(fail_after=0)
        self.renewals = 0

    def fatal(self) -> bool:
        return self.fail_after == 0

    def renew(self) -> bool:
        self.renewals += 1
        self.fail_after = None
        return True


def test_relay_recreates_a_fatal_producer_and_publishes(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("order")
    place(runtime, 2)
    broker = DeadProducerBroker()
    relay = OutboxRelay(runtime.engine, orm.outbox, broker, poll_interval_s=0.01)
    relay.start()
    try:
        for attempt in Retrying(stop=stop_after_delay(10), wait=wait_fixed(0.02), reraise=True):
            with attempt:
                assert relay.pending() == []
    finally:
        relay.stop()
    assert broker.renewals == 1
    assert len(broker.sent) == 2
    assert (relay.failures, relay.last_error) == (0, None)


def test_relay_reports_a_stalled_outbox_with_the_last_error(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("order")
    place(runtime, 2)
    relay = OutboxRelay(runtime.engine, orm.outbox, FakeBroker(fail_after=0), stall_after_s=5)
    assert relay.stalled() is None, "fresh rows are not a stall"
    with pytest.raises(TimeoutError):
        relay.publish_pending()
    relay.last_error = "TimeoutError: broker did not acknowledge"
    later = datetime.now(UTC) + timedelta(seconds=60)
    reason = relay.stalled(now=later)
    assert reason is not None
    assert reason.startswith("outbox is not draining: 2 unsent rows, the oldest 6")
    assert reason.endswith("last error: TimeoutError: broker did not acknowledge")


def test_a_dead_letter_copy_of_a_huge_record_is_truncated_and_says_so() -> None:
    where = Location("order", partition=2, offset=7)
    small = dead_letter_message(where, b"k", b"v" * 10, [("ce_id", b"1")], "EventDecodeError: x")
    assert small.value == b"v" * 10
    assert [name for name, _ in small.headers] == ["ce_id", ERROR_HEADER, ORIGIN_HEADER]

    huge = dead_letter_message(where, b"k", b"v" * 3_000_000, [("ce_id", b"1")], "reason")
    headers = dict(huge.headers)
    assert len(huge.value) == DLQ_KEPT_BYTES
    assert headers[ORIGINAL_SIZE_HEADER] == b"3000000"
    assert headers[TRUNCATED_HEADER] == b"value truncated to its first 65536 of 3000000 bytes"
    assert headers[ORIGIN_HEADER] == b"order/2@7"
    assert headers["ce_id"] == b"1"

    bare = dead_letter_message(where, b"k", b"v" * 10, [("x", b"y" * 10)], "reason", keep_bytes=0)
    assert bare.value == b""
    assert "x" not in dict(bare.headers)
    assert b"1 original headers (11 bytes) dropped" in dict(bare.headers)[TRUNCATED_HEADER]
