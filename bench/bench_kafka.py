"""Benchmark of ``accord audit kafka://...`` against bare Kafka consumers of the same records.

Writes the events of ``bench_audit.generate`` (orders, invoices, deliveries; a few copies,
duplicates and missing ones) to three topics of an embedded Tansu broker (3 partitions,
CloudEvents binary mode, keyed by order id, in multi-record batches), and as JSONL. Then,
each in a fresh subprocess, several times:

- accord: what ``accord audit kafka://HOST/order,invoice,delivery`` runs (``KafkaSource``
  on confluent-kafka, batches decoded into the engine's envelope, ``engine.report``);
- confluent-kafka: a bare ``Consumer`` reading the same partitions in batches of 10,000,
  decoding every record as a CloudEvent would be (headers to text, ``orjson.loads`` of the
  value) and nothing else;
- kafka-python: ``KafkaConsumer.poll`` and ``accord.events.from_kafka`` per record (with the
  ``crc32c`` package, as installed with accord);
- the same audit from the JSONL file.

Each figure is seconds of CPU time of the process (``time.process_time``: every thread,
librdkafka's included), so other jobs on a shared machine disturb it less than wall time.
The verdicts of the live and the file audit must be equal.

Run: ``python bench/bench_kafka.py [--events 300000] [--repeat 3] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_audit import generate

TOPICS = {"order.accepted": "order", "invoice.created": "invoice", "delivery.created": "delivery"}

_ACCORD = """
import sys, time, json
from accord.cli._audit import build_engine, feed
from accord.sources import KafkaSource
import confluent_kafka  # imported before the clock starts, as in the bare consumer
engine = build_engine("order.accepted", ["invoice.created=60s", "delivery.created=4.95s"], [], [])
start = time.process_time()
feed(engine, KafkaSource(sys.argv[1], sys.argv[2].split(",")))
report = engine.report()
elapsed = time.process_time() - start
print(json.dumps({"events": report["events"], "cpu_s": elapsed, "verdict": {
    t: {k: s[k] for k in ("ok", "late", "missing", "duplicated", "redelivered")}
    for t, s in report["expectations"].items()}}))
"""

_FILE = """
import sys, time, json
from accord.cli._audit import build_engine, feed
from accord.sources import JsonlSource
engine = build_engine("order.accepted", ["invoice.created=60s", "delivery.created=4.95s"], [], [])
start = time.process_time()
feed(engine, JsonlSource(sys.argv[1]))
report = engine.report()
elapsed = time.process_time() - start
print(json.dumps({"events": report["events"], "cpu_s": elapsed, "verdict": {
    t: {k: s[k] for k in ("ok", "late", "missing", "duplicated", "redelivered")}
    for t, s in report["expectations"].items()}}))
"""

_CONFLUENT = """
import sys, time, json, orjson
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError
start = time.process_time()
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "bench",
                     "enable.auto.commit": False, "enable.partition.eof": True})
topics = sys.argv[2].split(",")
parts = [TopicPartition(t, p, OFFSET_BEGINNING)
         for t in topics for p in consumer.list_topics(t, timeout=10).topics[t].partitions]
consumer.assign(parts)
ended, n, loads, EOF = set(), 0, orjson.loads, KafkaError._PARTITION_EOF
while len(ended) < len(parts):
    for m in consumer.consume(10000, 0.2):
        if m.error() is not None:
            if m.error().code() == EOF:
                ended.add((m.topic(), m.partition()))
            continue
        headers = {k: v.decode() for k, v in m.headers()}
        data = loads(m.value())
        n += 1
consumer.close()
print(json.dumps({"events": n, "cpu_s": time.process_time() - start}))
"""

_KAFKA_PYTHON = """
import sys, time, json
from kafka import KafkaConsumer, TopicPartition
from accord.events import from_kafka
start = time.process_time()
consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False)
topics = sys.argv[2].split(",")
parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t)]
consumer.assign(parts)
consumer.seek_to_beginning(*parts)
n = 0
def behind():
    for tp in parts:
        high = consumer.highwater(tp)
        if high is None or consumer.position(tp) < high:
            return True
    return False
while True:
    batch = consumer.poll(timeout_ms=200)
    for records in batch.values():
        for r in records:
            from_kafka(r.key, r.value, r.headers)
            n += 1
    if not behind():
        break
consumer.close()
print(json.dumps({"events": n, "cpu_s": time.process_time() - start}))
"""


def produce(bootstrap: str, path: Path) -> int:
    """Every line of ``path`` to its type's topic, in binary mode; the number written."""
    import orjson
    from confluent_kafka import Producer

    from accord.events import to_kafka

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "batch.num.messages": 2000,
            "queue.buffering.max.messages": 200000,
        }
    )
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            event = orjson.loads(line)
            message = to_kafka(event)
            while True:
                try:
                    producer.produce(
                        TOPICS[event["type"]],
                        key=message.key,
                        value=message.value,
                        headers=message.headers,
                    )
                    break
                except BufferError:
                    producer.poll(0.05)
            count += 1
    if producer.flush(60):
        raise SystemExit("the producer did not deliver every record within 60 s")
    return count


def _run(code: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(events: int, repeat: int, data_dir: Path) -> dict[str, Any]:
    """Run every reader ``repeat`` times (interleaved); CPU seconds and verdicts of each."""
    from accord.broker import EmbeddedBroker

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"events-{events}.jsonl"
    if not path.exists():
        generate(path, events)
    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap_servers
        broker.create_topics(TOPICS.values(), partitions=3)
        t = time.perf_counter()
        written = produce(bootstrap, path)
        produce_s = time.perf_counter() - t
        topics = ",".join(TOPICS.values())
        runs: dict[str, list[dict[str, Any]]] = {
            "accord": [],
            "confluent-kafka": [],
            "kafka-python": [],
            "file": [],
        }
        for _ in range(repeat):
            runs["accord"].append(_run(_ACCORD, bootstrap, topics))
            runs["confluent-kafka"].append(_run(_CONFLUENT, bootstrap, topics))
            runs["kafka-python"].append(_run(_KAFKA_PYTHON, bootstrap, topics))
            runs["file"].append(_run(_FILE, str(path)))
    for name, results in runs.items():
        for result in results:
            if result["events"] != written:
                raise SystemExit(f"{name} read {result['events']} of {written} records")
    if runs["accord"][0]["verdict"] != runs["file"][0]["verdict"]:
        raise SystemExit(
            "the live and the file audit disagree: "
            f"{runs['accord'][0]['verdict']} != {runs['file'][0]['verdict']}"
        )
    return {"records": written, "produce_s": produce_s, "runs": runs}


def summarize(result: dict[str, Any]) -> list[str]:
    """Lines of a table: per reader median and min-max CPU seconds, and the ratios."""
    runs = result["runs"]
    cpu = {name: [r["cpu_s"] for r in rs] for name, rs in runs.items()}
    # ratios within each run (the runs are interleaved: peers share the machine's load)
    to_bare = [b / a for a, b in zip(cpu["accord"], cpu["confluent-kafka"], strict=True)]
    to_file = [a / f for a, f in zip(cpu["accord"], cpu["file"], strict=True)]
    n = result["records"]
    lines = [f"{'reader':<16} {'CPU s median':>12} {'min-max':>13} {'records/s':>10}"]
    for name, values in cpu.items():
        median = statistics.median(values)
        lines.append(
            f"{name:<16} {median:>12.2f} {min(values):>6.2f}-{max(values):<6.2f} "
            f"{n / median:>10,.0f}"
        )
    lines.append(
        f"accord vs bare confluent-kafka (bare CPU / accord CPU): median "
        f"{statistics.median(to_bare):.2f}, {min(to_bare):.2f}-{max(to_bare):.2f}"
    )
    lines.append(
        f"accord live / accord file (CPU): median {statistics.median(to_file):.2f}, "
        f"{min(to_file):.2f}-{max(to_file):.2f}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default="/tmp/accord-bench")
    parser.add_argument("--json", metavar="OUT", help="also write the raw figures here")
    args = parser.parse_args()
    result = measure(args.events, args.repeat, Path(args.data_dir))
    print(f"{result['records']} records produced in {result['produce_s']:.1f}s (wall)")
    print("\n".join(summarize(result)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
