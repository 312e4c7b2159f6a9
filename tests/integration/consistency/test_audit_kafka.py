"""``accord audit`` on ``kafka://`` topics of the real embedded broker."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from accord.broker import EmbeddedBroker
from accord.cli import main
from accord.consistency import ConsistencyEngine, Expectation, merge_reports
from accord.events import make_event, to_kafka
from accord.sources import KafkaSource

pytestmark = pytest.mark.integration

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _publish(
    broker: EmbeddedBroker, topics: dict[str, str], *, with_garbage: bool = False
) -> dict[str, list[str]]:
    """12 orders: invoices late for keys 3 and 7, delivery missing for 5, one redelivery.

    ``with_garbage`` adds a record without CloudEvent headers to the order topic.
    """
    producer = KafkaProducer(**broker.producer_config(linger_ms=20))
    late, missing = {"k3", "k7"}, {"k5"}
    for n in range(12):
        key = f"k{n}"
        at = T0 + timedelta(seconds=n)
        events = [make_event(ORDER, "/reference/order", {"n": n}, key=key, id=f"o{n}", time=at)]
        delay = 90 if key in late else 5
        invoice = make_event(INVOICE, "/reference/invoicing", {}, key=key, id=f"i{n}",
                             time=at + timedelta(seconds=delay))
        events.append(invoice)
        if n == 0:
            events.append(invoice)  # redelivered
        if key not in missing:
            events.append(make_event(DELIVERY, "/reference/shipping", {}, key=key, id=f"d{n}",
                                     time=at + timedelta(seconds=2)))
        for event in events:
            message = to_kafka(event)
            producer.send(topics[event["type"]], key=message.key, value=message.value,
                          headers=message.headers)
    if with_garbage:
        producer.send(topics[ORDER], key=b"k0", value=b"not a CloudEvent")
    producer.flush()
    producer.close()
    return {"late": sorted(late), "missing": sorted(missing)}


@pytest.fixture
def topics(broker: EmbeddedBroker, unique_topic: Any) -> dict[str, str]:
    names = {ORDER: unique_topic("order"), INVOICE: unique_topic("invoice"),
             DELIVERY: unique_topic("delivery")}
    broker.create_topics(list(names.values()), partitions=3)
    return names


def test_audit_reads_kafka_topics_to_their_end(
    broker: EmbeddedBroker, topics: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = _publish(broker, topics, with_garbage=True)
    url = f"kafka://{broker.bootstrap_servers}/{','.join(topics.values())}"
    code = main(["audit", url, "--trigger", ORDER, "--expect", f"{INVOICE}=60s",
                 "--expect", f"{DELIVERY}=60s", "--format", "json"])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["triggers"] == 12 and report["events"] == 12 + 13 + 11
    late = sorted(v["key"] for v in report["violations"] if v["kind"] == "late")
    missing = sorted(v["key"] for v in report["violations"] if v["kind"] == "missing")
    assert late == expected["late"] and missing == expected["missing"]
    invoice = report["expectations"][INVOICE]
    assert (invoice["ok"], invoice["late"], invoice["redelivered"]) == (10, 2, 1)
    captured = capsys.readouterr()
    assert "NOT CONSISTENT" in captured.out
    # the record that is not a CloudEvent is skipped, and said so with where it is
    assert "skipped 1 record(s) that are not CloudEvents, first at " in captured.err
    assert f"{topics[ORDER]}/" in captured.err


def test_two_auditors_in_a_group_split_partitions_and_merge_exactly(
    broker: EmbeddedBroker, topics: dict[str, str]
) -> None:
    _publish(broker, topics)
    names = list(topics.values())

    def engine() -> ConsistencyEngine:
        return ConsistencyEngine(ORDER, [Expectation(INVOICE, 60.0), Expectation(DELIVERY, 60.0)])

    single = engine()
    for event, _ in KafkaSource(broker.bootstrap_servers, names,
                                consumer_config=broker.consumer_config()):
        single.add(event)
    group = f"auditors-{names[0]}"
    partials: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def audit() -> None:
        try:
            mine = engine()
            source = KafkaSource(broker.bootstrap_servers, names, group_id=group,
                                 consumer_config=broker.consumer_config())
            start.wait()
            for event, _ in source:
                mine.add(event)
            partials.append(mine.report(partial=True))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=audit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(partials) == 2
    # Both members got partitions (the group split the work) ...
    assert all(p["events"] > 0 for p in partials), [p["events"] for p in partials]
    merged = merge_reports(partials)
    expected = single.report()
    merged.pop("merged_from")
    for stats in merged["expectations"].values():
        stats.pop("latency_exact")
    # ... and together they saw each event once: the merge is the single-run report.
    assert merged == expected


def test_follow_in_a_group_reports_on_sigterm(
    broker: EmbeddedBroker, topics: dict[str, str], tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    from kafka import KafkaConsumer, TopicPartition

    from accord.consistency import eventually

    group = f"follow-{topics[ORDER]}"
    url = f"kafka://{broker.bootstrap_servers}/{','.join(topics.values())}"
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "audit", url, "--follow", "--group-id", group,
         "--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--expect", f"{DELIVERY}=60s",
         "--report-dir", str(tmp_path), "--format", "json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _publish(broker, topics)
        partitions = [TopicPartition(t, p) for t in topics.values() for p in range(3)]
        watcher = KafkaConsumer(**broker.consumer_config(group_id=group,
                                                         enable_auto_commit=False))
        try:
            def committed() -> int:
                return sum(watcher.committed(tp) or 0 for tp in partitions)

            # 12 orders + 13 invoices + 11 deliveries: the follower committed them all.
            eventually(lambda: committed() == 36, within=60, interval=0.5,
                       message="the follower committed every record")
        finally:
            watcher.close()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] is True and "incomplete" not in report
    assert report["triggers"] == 12 and report["events"] == 36
    assert sorted(v["key"] for v in report["violations"] if v["kind"] == "late") == ["k3", "k7"]
    assert "NOT CONSISTENT" in out


def test_follow_marks_the_report_incomplete_when_a_topic_is_recreated(
    broker: EmbeddedBroker, topics: dict[str, str], tmp_path: Path
) -> None:
    """A topic deleted and created again under a follower: the report says so, no verdict."""
    import signal
    import subprocess
    import sys
    import xml.etree.ElementTree as ET

    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    from accord.consistency import eventually

    group = f"recreated-{topics[ORDER]}"
    url = f"kafka://{broker.bootstrap_servers}/{','.join(topics.values())}"
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "audit", url, "--follow", "--group-id", group,
         "--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--expect", f"{DELIVERY}=60s",
         "--report-dir", str(tmp_path), "--format", "json,junit"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    warned: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            warned.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    watcher = KafkaConsumer(**broker.consumer_config(group_id=group, enable_auto_commit=False))
    try:
        _publish(broker, topics)

        def committed(partitions: list[TopicPartition]) -> int:
            return sum(watcher.committed(tp) or 0 for tp in partitions)

        everything = [TopicPartition(t, p) for t in topics.values() for p in range(3)]
        eventually(lambda: committed(everything) == 36, within=60, interval=0.5,
                   message="the follower committed every record")
        admin = KafkaAdminClient(**broker.admin_config())
        try:
            admin.delete_topics([topics[INVOICE]])
        finally:
            admin.close()
        broker.create_topics([topics[INVOICE]], partitions=3)
        producer = KafkaProducer(**broker.producer_config())
        for n in (0, 1):  # invoices again, in a topic that starts at offset 0
            message = to_kafka(make_event(INVOICE, "/reference/invoicing", {}, key=f"k{n}",
                                          id=f"i{n}", time=T0 + timedelta(seconds=n + 5)))
            producer.send(topics[INVOICE], key=message.key, value=message.value,
                          headers=message.headers)
        producer.flush()
        producer.close()
        # The follower says so as soon as it notices (its metadata shows the new topic id).
        eventually(lambda: any("the report will be incomplete" in line for line in warned),
                   within=30, interval=0.2, message="the follower noticed the recreated topic")
        process.send_signal(signal.SIGTERM)
        out = process.communicate(timeout=30)[0]
        reader.join(timeout=10)
        err = "".join(warned)
    finally:
        watcher.close()
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["consistent"] is False and report["interrupted"] is True
    reasons = report["incomplete"]
    assert reasons and all(topics[INVOICE] in reason for reason in reasons), reasons
    assert any("went back" in reason or "recreated" in reason for reason in reasons)
    assert "INCOMPLETE: the topics lost or replaced records" in out
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert [c.get("name") for c in junit.iter("testcase") if c.get("classname") == "accord.source"]


def test_a_followed_audit_counts_a_dead_letter_at_once(
    broker: EmbeddedBroker, topics: dict[str, str], tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    from accord.consistency import eventually

    dlq = topics[ORDER] + ".dlq"
    broker.create_topics([dlq], partitions=1)
    url = f"kafka://{broker.bootstrap_servers}/{topics[ORDER]},{topics[INVOICE]},{dlq}"
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "audit", url, "--follow",
         "--trigger", ORDER, "--expect", f"{INVOICE}=1h", "--format", "json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")),
                              daemon=True)
    reader.start()
    try:
        producer = KafkaProducer(**broker.producer_config())
        order = make_event(ORDER, "/reference/order", {}, key="k1", id="o1", time=T0)
        message = to_kafka(order)
        producer.send(topics[ORDER], key=message.key, value=message.value,
                      headers=message.headers)
        producer.send(dlq, key=message.key, value=message.value, headers=[
            *message.headers, ("accord-error", b"UnprocessableEvent: unknown item 'i-9'"),
            ("accord-origin", f"{topics[ORDER]}/0@0".encode()),
        ])
        producer.flush()
        producer.close()
        # said while following, long before the 1 h limit could decide the key
        expected = (f"accord: dead-lettered: {ORDER} key=k1 ({topics[ORDER]}/0@0, in {dlq}/0@0): "
                    "UnprocessableEvent: unknown item 'i-9'\n")
        eventually(lambda: expected in lines, within=30, interval=0.2,
                   message="the follower said the dead letter")
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    matcher = pytest.LineMatcher(out.splitlines())
    matcher.fnmatch_lines([
        f"  dead_lettered  {ORDER}  key=k1  a consumer dead-lettered {ORDER} "
        f"({topics[ORDER]}/0@0): UnprocessableEvent: unknown item 'i-9'",
        f"NOT CONSISTENT: 1 violation (1 dead_lettered) over 1 {ORDER} trigger",
    ])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["dead_lettered"] == 1 and report["expectations"][INVOICE]["pending"] == 1
