"""Issue 2's interop check: a Kafka client that is not ours reads what the demo produced."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from accord.broker._base import port_open

pytestmark = pytest.mark.e2e

ACCORD = [sys.executable, "-m", "accord.cli"]



confluent_kafka = pytest.importorskip("confluent_kafka", reason="needs the test extra")

HEADERS = (
    "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_partitionkey", "content-type"
)
TYPES = {"order": "order.accepted", "invoice": "invoice.created", "delivery": "delivery.created"}


def read_all(bootstrap: str, topic: str, timeout_s: float = 60.0) -> list[Any]:
    """Every record of ``topic`` (all partitions, from the start) with confluent-kafka.

    Reads up to the high-water mark each fetch response carries (librdkafka's cached
    watermark), not ListOffsets, which Tansu answers wrongly for multi-record batches.
    """
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"interop-{uuid.uuid4().hex[:8]}",  # required; assign() never joins it
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = [
            confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
            for p in sorted(metadata.topics[topic].partitions)
        ]
        consumer.assign(partitions)
        records: list[Any] = []
        next_offset = {tp.partition: 0 for tp in partitions}
        deadline = time.monotonic() + timeout_s

        def caught_up() -> bool:
            for tp in partitions:
                _, high = consumer.get_watermark_offsets(tp, cached=True)
                if high < 0 or next_offset[tp.partition] < high:
                    return False
            return True

        while not caught_up():
            assert time.monotonic() < deadline, f"{topic}: not read to its end in {timeout_s}s"
            message = consumer.poll(0.2)
            if message is None:
                continue
            assert message.error() is None, message.error()
            records.append(message)
            next_offset[message.partition()] = message.offset() + 1
        return records
    finally:
        consumer.close()


def test_a_foreign_client_sees_one_cloudevent_per_order_on_each_topic(
    run_accord: Any, tmp_path: Path
) -> None:
    broker = subprocess.Popen(
        [*ACCORD, "broker", "start", "--port", "0", "--log", str(tmp_path / "tansu.log")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert broker.stdout is not None
        bootstrap = broker.stdout.readline().strip()
        assert bootstrap.startswith("127.0.0.1:"), broker.stderr.read() if broker.stderr else ""
        done = run_accord(
            "demo", "--orders", "50", "--kafka", bootstrap,
            "--report-dir", str(tmp_path / "report"), "--workdir", str(tmp_path / "work"),
        )
        assert done.returncode == 0, done.stdout + done.stderr

        keys: dict[str, list[str]] = {}
        for topic, kind in TYPES.items():
            records = read_all(bootstrap, topic)
            per_key: dict[str, int] = defaultdict(int)
            for record in records:
                headers = {name: value.decode() for name, value in record.headers() or []}
                missing = [h for h in HEADERS if h not in headers]
                assert not missing, f"{topic}/{record.partition()}@{record.offset()}: {missing}"
                key = record.key().decode()
                assert headers["ce_partitionkey"] == key
                assert headers["ce_type"] == kind
                assert headers["ce_specversion"] == "1.0"
                assert headers["content-type"] == "application/json"
                per_key[key] += 1
            assert len(records) == 50, f"{topic}: {len(records)} records"
            assert set(per_key.values()) == {1}, f"{topic}: a key appears more than once"
            keys[topic] = sorted(per_key)
        assert keys["order"] == keys["invoice"] == keys["delivery"]

        # A second demo on the same broker judges only its own orders, not the 50 above.
        again = run_accord(
            "demo", "--orders", "10", "--kafka", bootstrap,
            "--report-dir", str(tmp_path / "report2"), "--workdir", str(tmp_path / "work2"),
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert re.search(r"^orders 10 \(placed in .*\), invoices 10, deliveries 10",
                         again.stdout, re.M), again.stdout
        report = json.loads((tmp_path / "report2" / "report.json").read_text())
        assert report["triggers"] == 10 and report["consistent"] is True
    finally:
        broker.send_signal(signal.SIGINT)
        broker.wait(timeout=30)
    port = int(bootstrap.rsplit(":", 1)[1])
    assert not port_open("127.0.0.1", port)
    assert broker.returncode == 0
