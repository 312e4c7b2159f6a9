"""The consumer loop with a scripted fake KafkaConsumer: offsets are committed only for
records whose handler returned (i.e. after its database commit); a failing record is retried
from its offset while only its partition waits; an error of the record's own making is
dead-lettered after bounded retries, a transient one retried and reported; the processing
delay applies per event."""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from kafka import TopicPartition
from tenacity import Retrying, stop_after_delay, wait_fixed

from accord.events import KafkaMessage, to_kafka
from reference_services.common.consumer import (
    ERROR_HEADER,
    ORIGIN_HEADER,
    EventConsumer,
    is_transient,
)
from reference_services.samples import sample_order_accepted

pytestmark = pytest.mark.unit

Record = namedtuple("Record", "topic partition offset key value headers")


class FakeConsumer:
    """Serves ``records`` per partition from the current position, like a real consumer."""

    def __init__(self, records: dict[TopicPartition, list[Record]]) -> None:
        self.records = records
        self.position = dict.fromkeys(records, 0)
        self.commits: list[dict[TopicPartition, int]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.closed = False
        self.polled = threading.Event()
        self.paused_partitions: set[TopicPartition] = set()
        self.pauses: list[TopicPartition] = []

    def subscribe(self, topics: list[str], listener: object = None) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return set(self.records)

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Record]]:
        batch = {}
        for tp, records in self.records.items():
            if tp in self.paused_partitions:
                continue
            rest = records[self.position[tp] :]
            if rest:
                batch[tp] = rest
                self.position[tp] = len(records)
        self.polled.set()
        return batch

    def pause(self, *partitions: TopicPartition) -> None:
        self.pauses.extend(partitions)
        self.paused_partitions.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused_partitions.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_partitions)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))
        self.position[tp] = offset

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})

    def close(self, autocommit: bool = True) -> None:
        assert autocommit is False
        self.closed = True


class NoDlq:
    def send(self, topic: str, message: KafkaMessage) -> Future[Any]:
        raise AssertionError(f"nothing should be dead-lettered, got one for {topic}")


def records(partition: int, n: int) -> list[Record]:
    out = []
    for offset in range(n):
        message = to_kafka(sample_order_accepted())
        out.append(Record("order", partition, offset, message.key, message.value, message.headers))
    return out


def run_until(consumer: EventConsumer, done: Callable[[], bool]) -> None:
    consumer.start()
    try:
        for attempt in Retrying(stop=stop_after_delay(10), wait=wait_fixed(0.02), reraise=True):
            with attempt:
                assert done()
    finally:
        consumer.stop()


def where_is(fake: FakeConsumer, event: dict[str, Any]) -> tuple[int, int]:
    """(partition, offset) of the record that carried ``event`` (the order id is the key)."""
    return next(
        (r.partition, r.offset)
        for rs in fake.records.values()
        for r in rs
        if r.key.decode() == event["partitionkey"]
    )


def test_offsets_are_committed_after_the_handlers_and_failures_are_retried() -> None:
    p0, p1 = TopicPartition("order", 0), TopicPartition("order", 1)
    fake = FakeConsumer({p0: records(0, 3), p1: records(1, 2)})
    calls: list[tuple[int, int]] = []
    failed_once: set[tuple[int, int]] = set()

    def handler(event: dict[str, Any]) -> None:
        where = where_is(fake, event)
        calls.append(where)
        if where == (0, 1) and where not in failed_once:
            failed_once.add(where)
            raise ConnectionError("database restarting")

    consumer = EventConsumer(lambda: fake, ["order"], {"order.accepted": handler}, NoDlq())
    run_until(consumer, lambda: consumer.handled == 5)

    # 0@1 failed once: partition 0 was rewound to 1 and paused until its retry was due;
    # partition 1 was neither rewound nor paused.
    assert (p0, 1) in fake.seeks
    assert fake.pauses == [p0]
    assert all(tp == p0 for tp, _ in fake.seeks)
    assert calls.count((0, 1)) == 2
    assert calls.count((0, 0)) == 1, "a committed record is not handled again"
    assert calls.count((1, 0)) == calls.count((1, 1)) == 1
    # The first commit covers what was handled in the first batch: 0@0 and all of 1.
    assert fake.commits[0] == {p0: 1, p1: 2}
    final: dict[TopicPartition, int] = {}
    for commit in fake.commits:
        final.update(commit)
    assert final == {p0: 3, p1: 2}
    assert consumer.assigned
    assert consumer.stalled() is None
    assert fake.closed


class Dlq:
    """Records dead-lettered messages."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, KafkaMessage]] = []

    def send(self, topic: str, message: KafkaMessage) -> Future[Any]:
        self.sent.append((topic, message))
        future: Future[Any] = Future()
        future.set_result(None)
        return future


def test_a_record_that_makes_the_handler_fail_is_dead_lettered_after_bounded_retries() -> None:
    from sqlalchemy.exc import DataError

    p0, p1 = TopicPartition("order", 0), TopicPartition("order", 1)
    fake = FakeConsumer({p0: records(0, 1), p1: records(1, 2)})
    calls: list[tuple[int, int]] = []

    def handler(event: dict[str, Any]) -> None:
        where = where_is(fake, event)
        calls.append(where)
        if where == (1, 0):
            raise DataError("INSERT ...", {}, Exception("numeric field overflow"))

    dlq = Dlq()
    consumer = EventConsumer(lambda: fake, ["order"], {"order.accepted": handler}, dlq)
    run_until(consumer, lambda: consumer.handled == 2)
    assert calls.count((1, 0)) == 3
    [(topic, copy)] = dlq.sent
    assert topic == "order.dlq"
    reason = dict(copy.headers)[ERROR_HEADER].decode()
    assert reason.startswith("DataError: (builtins.Exception) numeric field overflow")
    assert reason.endswith("(after 3 attempts)")
    assert dict(copy.headers)[ORIGIN_HEADER] == b"order/1@0"
    assert fake.commits[0] == {p0: 1}, "partition 0 did not wait for partition 1's retries"


def test_a_transient_error_is_retried_past_the_bound_and_reported_as_stalled() -> None:
    from sqlalchemy.exc import OperationalError

    p0 = TopicPartition("order", 0)
    fake = FakeConsumer({p0: records(0, 1)})
    attempts: list[int] = []
    database_up = threading.Event()
    seen_stalled: list[str] = []

    def handler(event: dict[str, Any]) -> None:
        attempts.append(1)
        if not database_up.is_set():
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    consumer = EventConsumer(
        lambda: fake,
        ["order"],
        {"order.accepted": handler},
        NoDlq(),
        stall_after_s=0.0,
        clock=lambda: time.monotonic() * 100,  # backoffs 100 times shorter
    )

    def stalled_after_four_attempts() -> bool:
        reason = consumer.stalled()
        if len(attempts) >= 4 and reason is not None:
            seen_stalled.append(reason)
            database_up.set()
        return consumer.handled == 1

    run_until(consumer, stalled_after_four_attempts)
    assert seen_stalled[0].startswith("consumer retrying order/0@0 for ")
    assert "OperationalError: (builtins.Exception) connection refused" in seen_stalled[0]
    assert consumer.dead_lettered == 0
    assert consumer.stalled() is None


def test_which_errors_are_transient() -> None:
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    assert is_transient(OperationalError("x", {}, Exception("down")))
    assert is_transient(ConnectionError("reset"))
    assert not is_transient(DataError("x", {}, Exception("numeric field overflow")))
    assert not is_transient(IntegrityError("x", {}, Exception("violates check")))
    assert not is_transient(ValueError("bad"))


def test_processing_delay_is_per_event_and_stop_interrupts_it() -> None:
    p0 = TopicPartition("order", 0)
    fake = FakeConsumer({p0: records(0, 3)})
    handled: list[str] = []
    consumer = EventConsumer(
        lambda: fake,
        ["order"],
        {"order.accepted": lambda e: handled.append(e["id"])},
        NoDlq(),
        processing_delay_s=30.0,
    )
    consumer.start()
    assert fake.polled.wait(5)
    consumer.stop(timeout_s=5)  # returns at once although three 30 s delays were pending
    assert handled == []
    assert fake.commits == []
    assert fake.closed


def test_a_refused_commit_does_not_kill_the_consumer() -> None:
    """After a rebalance Kafka refuses the commit; the loop must go on, not die silently."""
    p0 = TopicPartition("order", 0)
    fake = FakeConsumer({p0: records(0, 2)})
    real_commit = fake.commit
    refused: list[int] = []

    def commit_once_refused(offsets: dict[TopicPartition, Any]) -> None:
        if not refused:
            refused.append(1)
            # The group re-assigns from the committed offset (none yet): a redelivery.
            fake.position[p0] = 0
            raise RuntimeError("CommitFailedError: group rebalanced")
        real_commit(offsets)

    fake.commit = commit_once_refused  # type: ignore[method-assign]
    handled: list[str] = []
    consumer = EventConsumer(
        lambda: fake, ["order"], {"order.accepted": lambda e: handled.append(e["id"])}, NoDlq()
    )
    run_until(consumer, lambda: bool(fake.commits))
    assert fake.commits[-1] == {p0: 2}
    assert len(handled) == 4, "both records redelivered after the refused commit"
    assert len(set(handled)) == 2
