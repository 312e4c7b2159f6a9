from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from accord._durations import format_duration
from accord.errors import UsageError
from accord.events import EventDecodeError, Location, from_kafka
from accord.sources._base import SourcedEvent

_POLL_MS = 200


def parse_kafka_url(url: str) -> tuple[str, list[str]]:
    """Split ``kafka://HOST:PORT[,HOST:PORT]/TOPIC[,TOPIC]`` into bootstrap and topics."""
    parts = urlsplit(url)
    topics = [t for t in parts.path.lstrip("/").split(",") if t]
    if parts.scheme != "kafka" or not parts.netloc or not topics:
        raise UsageError(f"{url!r} is not a Kafka source: use kafka://HOST:PORT/TOPIC[,TOPIC]")
    return parts.netloc, topics


class KafkaSource:
    """Records of Kafka topics in CloudEvents binary mode, as structured CloudEvents.

    Without ``follow`` it reads every partition from the start to the end that exists when
    reading begins, then stops. The end is the high-water mark a fetch returns, not
    ``ListOffsets``: some brokers (Tansu) answer ListOffsets wrongly for multi-record batches.
    With ``follow`` it keeps reading until the iterator is closed.

    With a ``group_id`` it joins that consumer group, reads only the partitions the group
    assigns it, and commits offsets after each batch it hands out: several readers in one
    group split the partitions, the Kafka way.

    A record that is not a CloudEvent is reported through :attr:`undecodable` (location and
    reason) and skipped, so one bad record does not hide the rest.

    Args:
        bootstrap_servers: ``host:port[,host:port]``.
        topics: the topics to read.
        follow: keep reading new records.
        group_id: read as a member of this consumer group.
        consumer_config: extra ``KafkaConsumer`` settings (a broker's
            :meth:`~accord.broker.Broker.consumer_config` supplies the right ones).
        idle_timeout_s: without ``follow``, give up waiting for a fetch after this long.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: list[str],
        *,
        follow: bool = False,
        group_id: str | None = None,
        consumer_config: dict[str, Any] | None = None,
        idle_timeout_s: float = 30.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = list(topics)
        self.follow = follow
        self.group_id = group_id
        self.name = f"kafka://{bootstrap_servers}/{','.join(self.topics)}"
        self.undecodable: list[tuple[Location, str]] = []
        self._config = {
            "bootstrap_servers": bootstrap_servers,
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1000,
            "auto_offset_reset": "earliest",
            "enable_auto_commit": False,
            # Fail in seconds, not kafka-python's 30 s, when nothing answers at the address.
            "bootstrap_timeout_ms": 10000,
        }
        self._config.update(consumer_config or {})
        self._config["bootstrap_servers"] = bootstrap_servers
        self._idle_timeout_s = idle_timeout_s

    def _consumer(self) -> Any:
        from kafka import KafkaConsumer, TopicPartition
        from kafka.errors import KafkaError

        try:
            consumer = KafkaConsumer(group_id=self.group_id, **self._config)
        except KafkaError as exc:
            raise UsageError(f"{self.name}: cannot reach the broker ({exc})") from None
        if self.group_id is not None:
            consumer.subscribe(self.topics)
            return consumer
        partitions = []
        for topic in self.topics:
            ids = consumer.partitions_for_topic(topic)
            if not ids:
                consumer.close()
                raise UsageError(f"{self.name}: topic {topic!r} does not exist")
            partitions += [TopicPartition(topic, p) for p in sorted(ids)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return consumer

    def _decode(self, record: Any) -> dict[str, Any] | None:
        try:
            return from_kafka(record.key, record.value, record.headers or [])
        except EventDecodeError as exc:
            where = Location(record.topic, partition=record.partition, offset=record.offset)
            self.undecodable.append((where, str(exc)))
            return None

    def __iter__(self) -> Iterator[SourcedEvent]:
        consumer = self._consumer()
        try:
            yield from self._read(consumer)
        finally:
            consumer.close()

    def _caught_up(self, consumer: Any) -> bool:
        assignment = consumer.assignment()
        if not assignment:
            return False
        for tp in assignment:
            high = consumer.highwater(tp)
            if high is None or consumer.position(tp) < high:
                return False
        return True

    def _read(self, consumer: Any) -> Iterator[SourcedEvent]:
        last_progress = time.monotonic()
        while True:
            batch = consumer.poll(timeout_ms=_POLL_MS)
            for tp, records in batch.items():
                for record in records:
                    event = self._decode(record)
                    if event is None:
                        continue
                    key = record.key.decode(errors="replace") if record.key is not None else None
                    yield (
                        event,
                        Location(tp.topic, partition=tp.partition, offset=record.offset, key=key),
                    )
            if batch:
                last_progress = time.monotonic()
                if self.group_id is not None:
                    consumer.commit()
            if self.follow:
                continue
            if self._caught_up(consumer):
                return
            if time.monotonic() - last_progress > self._idle_timeout_s:
                raise UsageError(
                    f"{self.name}: no fetch response for "
                    f"{format_duration(self._idle_timeout_s)}; "
                    "is the broker up and are the topics readable?"
                )
