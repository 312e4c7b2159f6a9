from __future__ import annotations

from typing import Any

from accord.broker import Broker
from accord.errors import BrokerError, UsageError
from accord.sources import assign_partitions, open_consumer, record_decoder


class EventFollower:
    """Reads every partition of some topics from the start, as structured CloudEvents.

    No consumer group (so no group-join wait): it assigns all partitions to itself and
    reads them with librdkafka (confluent-kafka) in batches. Call :meth:`poll` in a loop;
    records that are not CloudEvents are counted in :attr:`undecodable` and skipped.

    Args:
        broker: a started broker (its consumer settings are used).
        topics: the topics to follow; they must exist.
        ready_timeout_s: how long to wait for the topics' partition metadata.
    """

    def __init__(self, broker: Broker, topics: list[str], ready_timeout_s: float = 30.0) -> None:
        self.topics = list(topics)
        self.undecodable = 0
        self._decode = record_decoder()
        self._consumer: Any = open_consumer(
            broker.bootstrap_servers, broker.consumer_config(group_id=None)
        )
        try:
            assign_partitions(
                self._consumer, self.topics, broker.bootstrap_servers, wait_s=ready_timeout_s
            )
        except UsageError as exc:
            self._consumer.close()
            raise BrokerError(f"{exc}; was it created?") from None
        except BaseException:
            self._consumer.close()
            raise

    def poll(self, timeout_s: float = 0.2) -> list[dict[str, Any]]:
        """The events that arrived, waiting at most ``timeout_s`` for the first."""
        from accord.events import EventDecodeError

        events: list[dict[str, Any]] = []
        for message in self._consumer.consume(10_000, timeout_s):
            if message.error() is not None:
                continue  # the end of a partition; librdkafka retries broker errors itself
            try:
                events.append(self._decode(message))
            except EventDecodeError:
                self.undecodable += 1
        return events

    def close(self) -> None:
        self._consumer.close()
