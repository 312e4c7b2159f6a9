from __future__ import annotations

from typing import Any

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from accord._durations import format_duration
from accord.broker import Broker
from accord.errors import BrokerError
from accord.events import EventDecodeError, from_kafka


class EventFollower:
    """Reads every partition of some topics from the start, as structured CloudEvents.

    No consumer group (so no group-join wait): it assigns all partitions to itself. Call
    :meth:`poll` in a loop; records that are not CloudEvents are counted in
    :attr:`undecodable` and skipped.

    Args:
        broker: a started broker (its consumer settings are used).
        topics: the topics to follow; they must exist.
        ready_timeout_s: how long to wait for the topics' partition metadata.
    """

    def __init__(self, broker: Broker, topics: list[str], ready_timeout_s: float = 30.0) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.topics = list(topics)
        self.undecodable = 0
        self._consumer: Any = KafkaConsumer(**broker.consumer_config(group_id=None))
        try:
            partitions: list[Any] = []
            for topic in self.topics:
                partitions += [
                    TopicPartition(topic, p)
                    for p in sorted(self._partitions(topic, ready_timeout_s))
                ]
            self._consumer.assign(partitions)
            self._consumer.seek_to_beginning(*partitions)
        except BaseException:
            self._consumer.close()
            raise

    def _partitions(self, topic: str, timeout_s: float) -> set[int]:
        # Right after CreateTopics a broker may not list the partitions yet: ask again.
        try:
            for attempt in Retrying(
                stop=stop_after_delay(timeout_s),
                wait=wait_fixed(0.2),
                retry=retry_if_result(lambda found: not found),
            ):
                with attempt:
                    ids = set(self._consumer.partitions_for_topic(topic) or ())
                if not attempt.retry_state.outcome.failed:  # type: ignore[union-attr]
                    attempt.retry_state.set_result(ids)
        except RetryError:
            raise BrokerError(
                f"topic {topic!r} has no partitions after {format_duration(timeout_s)}; "
                "was it created?"
            ) from None
        return ids

    def poll(self, timeout_s: float = 0.2) -> list[dict[str, Any]]:
        """The events that arrived, waiting at most ``timeout_s`` for the first."""
        events: list[dict[str, Any]] = []
        batch = self._consumer.poll(timeout_ms=int(timeout_s * 1000))
        for records in batch.values():
            for record in records:
                try:
                    events.append(from_kafka(record.key, record.value, record.headers or []))
                except EventDecodeError:
                    self.undecodable += 1
        return events

    def close(self) -> None:
        self._consumer.close()
