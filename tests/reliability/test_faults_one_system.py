"""Faults one system survives in turn: an order service crash at the worst moment, a frozen
broker, every group replayed from offset 0, and poison records.

The scenarios share the session's system (broker behind a healed proxy, databases, services);
each judges only its own orders, those the order database gained during the scenario.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness_audit import audit, read_events, settle
from harness_orders import OrderStream, sleep_until
from harness_system import FaultySystem

from accord.consistency import eventually
from accord.events import to_kafka
from reference_services.common.faults import CRASH_AFTER_ACK_ENV
from reference_services.samples import sample_order_accepted


@pytest.fixture
def system(shared_system: FaultySystem) -> FaultySystem:
    return shared_system


def new_orders(system: FaultySystem, before: set[str]) -> set[str]:
    return system.orders_since(before)


# -- the order service dies between the broker's ack and marking the row sent --------------


def test_order_service_killed_after_the_ack_before_marking_sent_publishes_after_restart(
    system: FaultySystem, size: Any, figures: Callable[..., None], tmp_path: Path
) -> None:
    before = set(system.rows_per_order("order"))
    crash_at = size.pick(25, 250)
    count, rate = size.pick((60, 10.0), (600, 20.0))
    system.kill("order")
    system.restart("order", env={CRASH_AFTER_ACK_ENV: str(crash_at)})
    stream = OrderStream(system.order_url, count, rate, seed=size.seed_or(21), timeout_s=3)
    stream.start()
    eventually(lambda: system.exited("order") is not None, within=60, message="the crash hook")
    crashed = time.monotonic()
    assert system.exited("order") == -9  # SIGKILL, by the hook

    # The moment was the certain one: the record of the first unsent row is on the topic.
    with system.engine("order").connect() as conn:
        from sqlalchemy import text

        first_unsent = conn.execute(
            text("SELECT event_id FROM order_outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1")
        ).scalar_one()
    on_topic = [e["id"] for e in read_events(system.bootstrap_servers, ["order"])]
    assert first_unsent in on_topic, "the crash came after the ack"

    system.restart("order")  # without the hook: the new relay sends the unsent rows
    outcomes = stream.wait(count / rate + 120)
    settle(system, new_orders(system, before), within_s=120)
    recovery_s = time.monotonic() - crashed  # from the crash until every order is settled
    mine = new_orders(system, before)
    assert set(outcomes.accepted) <= mine, "every 201 is in the order database"
    events = read_events(system.bootstrap_servers)
    copies = sum(1 for e in events if e["id"] == first_unsent)
    verdict = audit(system.bootstrap_servers, mine, 60.0, tmp_path / "audit", events=events)
    figures(
        scenario="SIGKILL order between broker ack and marking sent",
        faults=f"order service killed after its relay's {crash_at}th ack, restarted",
        accepted=len(outcomes.accepted),
        refused=outcomes.refused,
        unknown=outcomes.unknown,
        recovery_s=round(recovery_s, 1),
        **verdict.summary(),
    )
    # At least once: before the crash and again after the restart (a relay round that fails
    # on a slow acknowledgement may send it once more; consumers deduplicate).
    assert copies >= 2, "published before the crash, and again after the restart"
    assert verdict.lost == {}
    assert verdict.duplicated == 0
    assert verdict.report["redelivered_triggers"] >= 1
    for name in ("shipping", "invoicing"):
        rows = system.rows_per_order(name)
        assert {rows[key] for key in mine} == {1}, name


# -- the broker frozen ------------------------------------------------------------------------


def test_broker_paused_loses_nothing_and_exactly_the_delayed_orders_are_late(
    system: FaultySystem, size: Any, figures: Callable[..., None], tmp_path: Path
) -> None:
    pause_s, limit_s = size.pick((6.0, 3.0), (10.0, 5.0))
    rate, lead_s, tail_s = 10.0, 2.0, 3.0
    count = int(rate * (lead_s + pause_s + tail_s))
    before = set(system.rows_per_order("order"))
    stream = OrderStream(system.order_url, count, rate, seed=size.seed_or(31))
    started = time.monotonic()
    stream.start()
    sleep_until(started + lead_s)
    paused_at = datetime.now(UTC)
    system.pause_broker()
    sleep_until(started + lead_s + pause_s)
    system.resume_broker()
    resumed_at = datetime.now(UTC)
    resumed = time.monotonic()
    outcomes = stream.wait(count / rate + 60)
    assert (outcomes.refused, outcomes.unknown) == (0, 0), outcomes.errors
    mine = new_orders(system, before)
    assert set(outcomes.accepted) == mine
    settle(system, mine, within_s=120)
    recovery_s = time.monotonic() - resumed
    verdict = audit(system.bootstrap_servers, mine, limit_s, tmp_path / "audit")

    # The oracle, from the services' own databases: late = an invoice or a delivery created
    # more than the limit after the order's acceptance.
    accepted = system.times("order")
    created = [system.times("shipping"), system.times("invoicing")]
    limit = timedelta(seconds=limit_s)
    oracle = {k for k in mine if any(c[k] - accepted[k] > limit for c in created)}
    must = {k for k in mine if paused_at <= accepted[k] < resumed_at - limit}
    # An order accepted after the pause may still wait behind the backlog it left; one
    # accepted more than the limit before the pause began cannot have been held past it.
    could = {k for k in mine if accepted[k] > paused_at - limit}
    figures(
        scenario="SIGSTOP the broker",
        faults=f"broker paused {pause_s:.0f}s (limit {limit_s:.0f}s)",
        recovery_s=round(recovery_s, 1),
        delayed_past_limit=len(must),
        **verdict.summary(),
    )
    assert verdict.lost == {}
    assert verdict.duplicated == 0
    assert set(verdict.late) == oracle, "accord's late orders are the databases' late orders"
    assert must, "the pause held some orders longer than the limit"
    assert must <= set(verdict.late) <= could, (
        "late: every order the pause held past the limit, none from before it"
    )


# -- every consumer group from offset 0 -------------------------------------------------------


def _reset_group(system: FaultySystem, group: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(
        bootstrap_servers=system.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))
        ]
        consumer.assign(partitions)
        consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})
        return sum(consumer.committed(tp) or 0 for tp in partitions)
    finally:
        consumer.close(autocommit=False)


def _group_lag(system: FaultySystem, group: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=system.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends: dict[Any, int] = {}
        # The high-water mark after a fetch is right (ListOffsets is not, on Tansu).
        deadline = time.monotonic() + 30
        while len(ends) < len(partitions) and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200, max_records=1)
            for tp in partitions:
                if consumer.highwater(tp) is not None:
                    ends[tp] = consumer.highwater(tp)
        return sum(ends[tp] - (consumer.committed(tp) or 0) for tp in partitions)
    finally:
        consumer.close(autocommit=False)


def test_replaying_every_group_from_offset_zero_creates_no_new_delivery_or_invoice(
    system: FaultySystem, figures: Callable[..., None], size: Any
) -> None:
    # Some orders of its own, so the replay has something recent to redo.
    stream = OrderStream(system.order_url, size.pick(30, 300), 15.0, seed=size.seed_or(41))
    stream.start()
    outcomes = stream.wait(120)
    settle(system, outcomes.accepted, within_s=120)
    rows = {name: system.rows_per_order(name) for name in ("shipping", "invoicing")}
    events = read_events(system.bootstrap_servers)
    created = sorted(e["id"] for e in events if e["type"] != "order.accepted")
    triggers = sum(1 for e in events if e["type"] == "order.accepted")

    for name in ("shipping", "invoicing"):
        system.services[name].stop(15)
        assert _reset_group(system, name, "order") == 0, f"{name}: offsets now 0"
        assert _group_lag(system, name, "order") == triggers
    started = time.monotonic()
    for name in ("shipping", "invoicing"):
        system.restart(name, wait=False)
    for name in ("shipping", "invoicing"):
        eventually(lambda n=name: _group_lag(system, n, "order") == 0, within=120, interval=0.5,
                   message=f"{name} re-read the whole order topic")  # fmt: skip
    replay_s = time.monotonic() - started
    for name in ("shipping", "invoicing"):
        assert system.unsent(name) == 0
        assert system.rows_per_order(name) == rows[name], f"{name}: no new rows"
    after = read_events(system.bootstrap_servers)
    assert sorted(e["id"] for e in after if e["type"] != "order.accepted") == created
    figures(
        scenario="replay every group from offset 0",
        faults=f"shipping and invoicing groups reset to 0 over {triggers} order.accepted",
        orders=triggers,
        lost=0,
        duplicated=len(after) - len(events),
        replay_s=round(replay_s, 1),
    )


# -- poison records -------------------------------------------------------------------------


def _poison() -> dict[str, tuple[bytes, bytes, list[tuple[str, bytes]], int, str]]:
    """name -> (key, value, headers, copies expected in order.dlq, words of the reason)."""

    def record(event: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        message = to_kafka(event)
        return message.key or b"", message.value or b"", list(message.headers)

    good = record(sample_order_accepted())
    out: dict[str, tuple[bytes, bytes, list[tuple[str, bytes]], int, str]] = {}
    key = lambda: str(uuid.uuid4()).encode()  # noqa: E731
    out["not JSON"] = (key(), b"{not json", good[2], 2, "not JSON")
    wrong = record(sample_order_accepted(lines="none"))
    out["wrong shape"] = (key(), wrong[1], wrong[2], 2, "UnprocessableEvent")
    out["no ce_ headers"] = (key(), good[1], [], 2, "EventDecodeError")
    unknown = sample_order_accepted()
    unknown["type"] = "order.exploded"
    u = record(unknown)
    out["unknown type"] = (key(), u[1], u[2], 2, "unknown event type")
    huge = record(sample_order_accepted(lines="x" * 5_000_000))
    out["5 MB value"] = (key(), huge[1], huge[2], 2, "UnprocessableEvent")
    # Schema-valid, but 10^13 does not fit the invoice's Numeric(14, 2): PostgreSQL refuses it.
    # Shipping ignores prices and ships it; invoicing must dead-letter it.
    price = "10000000000000.00"
    line = {"count": 1, "item": {"itemId": "i-1", "name": "iPod", "price": price}}
    overflow = record(sample_order_accepted(lines=[line], total=price))
    out["PostgreSQL fails"] = (overflow[0], overflow[1], overflow[2], 1, "numeric field overflow")
    return out


def test_poison_records_are_dead_lettered_with_reasons_and_good_orders_keep_their_pace(
    system: FaultySystem, size: Any, figures: Callable[..., None], tmp_path: Path
) -> None:
    from kafka import KafkaProducer

    poison = _poison()
    count, rate, limit_s = size.pick((60, 10.0, 10.0), (600, 20.0, 10.0))
    before = set(system.rows_per_order("order"))
    producer = KafkaProducer(
        bootstrap_servers=system.bootstrap_servers, acks="all", max_request_size=16 * 1024 * 1024
    )
    stream = OrderStream(system.order_url, count, rate, seed=size.seed_or(51))
    started = time.monotonic()
    stream.start()
    sleep_until(started + 1.0)
    for key, value, headers, _, _ in poison.values():
        producer.send("order", key=key, value=value, headers=headers).get(30)
    producer.close()
    outcomes = stream.wait(count / rate + 60)
    mine = new_orders(system, before)
    assert set(outcomes.accepted) == mine
    settle(system, mine, within_s=90)
    verdict = audit(system.bootstrap_servers, mine, limit_s, tmp_path / "audit")

    dead: dict[bytes, list[str]] = {}
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=system.bootstrap_servers, fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=64 * 1024 * 1024, enable_auto_commit=False,
    )  # fmt: skip
    try:
        tps = [TopicPartition("order.dlq", p) for p in consumer.partitions_for_topic("order.dlq")]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        keys = {p[0] for p in poison.values()}

        def all_dead() -> bool:
            for batch in consumer.poll(timeout_ms=300).values():
                for r in batch:
                    if r.key in keys:
                        reason = dict(r.headers).get("accord-error", b"").decode()
                        dead.setdefault(r.key, []).append(reason)
            return all(len(dead.get(p[0], [])) >= p[3] for p in poison.values())

        with contextlib.suppress(AssertionError):  # the assertions below say which is missing
            eventually(all_dead, within=60, interval=0, message="every poison record")
    finally:
        consumer.close()
    figures(
        scenario="poison records",
        faults=", ".join(poison),
        dead_lettered=sum(len(v) for v in dead.values()),
        **verdict.summary(),
    )
    for name, (key, _, _, copies, words) in poison.items():
        reasons = dead.get(key, [])
        # One copy per service that cannot process it (a redelivery may add one more).
        assert len(reasons) >= copies, f"{name}: {len(reasons)} copies in order.dlq"
        assert all(words in reason for reason in reasons), f"{name}: {reasons}"
    # The record PostgreSQL refuses for the invoice is a good delivery: shipped, not invoiced.
    overflow = poison["PostgreSQL fails"][0].decode()
    assert overflow in system.rows_per_order("shipping")
    assert overflow not in system.rows_per_order("invoicing")
    assert verdict.lost == {}
    assert verdict.duplicated == 0
    assert verdict.late == {}, f"good orders behind poison waited longer than {limit_s}s"
