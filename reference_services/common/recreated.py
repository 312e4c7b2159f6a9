"""Notice that a topic was recreated under a consumer, and read it again from the start.

A memory-only broker that restarts (or an operator who deletes and creates a topic) gives the
topic a new topic id and offsets from 0, and forgets the group's committed offsets. A
kafka-python consumer keeps its fetch positions across that: it goes on at, say, offset 40 of
the new topic, skipping records 0-39, and commits 41, so even the next rebalance starts there.
:class:`TopicRewinder` compares each subscribed topic's id in the client's metadata with the
one it saw before; when it changed, every assigned partition of the topic is rewound to the
beginning, now and again at each assignment until a commit of that partition was accepted
(after which the group's offsets on the new topic are the consumer's own). The handlers'
idempotency absorbs what is read twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

__all__ = ["TopicRewinder"]

log = logging.getLogger(__name__)


class TopicRewinder:
    """Rewinds the partitions of recreated topics (see the module docstring).

    :meth:`listener` gives the ``kafka.ConsumerRebalanceListener`` for ``subscribe``.
    """

    def __init__(self, consumer: Any, topics: Iterable[str]) -> None:
        self._consumer = consumer
        self._topics = list(topics)
        self._ids: dict[str, Any] = {}
        self._pending: set[Any] = set()  # TopicPartitions to start from 0 when assigned

    def _topic_id(self, topic: str) -> Any:
        cluster = getattr(getattr(self._consumer, "_client", None), "cluster", None)
        topic_id = getattr(cluster, "topic_id", None)
        return topic_id(topic) if callable(topic_id) else None

    def check(self) -> set[Any]:
        """Rewind the partitions of topics recreated since the last check; return them (the
        records just fetched for them are stale)."""
        from kafka import TopicPartition

        fresh: set[Any] = set()
        for topic in self._topics:
            current = self._topic_id(topic)
            if current is None:
                continue
            before = self._ids.setdefault(topic, current)
            if before != current:
                self._ids[topic] = current
                partitions = self._consumer.partitions_for_topic(topic) or set()
                log.warning(
                    "topic %s was recreated (topic id %s, before %s): reading its partitions "
                    "again from the start",
                    topic, current, before,
                )  # fmt: skip
                fresh |= {TopicPartition(topic, p) for p in partitions}
        self._pending |= fresh
        return self._rewind(set(self._consumer.assignment()) & fresh)

    def _rewind(self, partitions: Iterable[Any]) -> set[Any]:
        due = set(partitions) & self._pending
        if due:
            self._consumer.seek_to_beginning(*due)
        return due

    def committed(self, partitions: Iterable[Any]) -> None:
        """A commit of these partitions was accepted: their group offsets are right again."""
        self._pending -= set(partitions)

    def on_partitions_assigned(self, assigned: Any) -> None:
        # After a rejoin the consumer starts from the committed offsets, which may be the
        # stale ones it committed on the new topic before it noticed.
        self.check()
        self._rewind(assigned)

    def listener(self) -> Any:
        """A ``kafka.ConsumerRebalanceListener`` that calls :meth:`on_partitions_assigned`."""
        from kafka import ConsumerRebalanceListener

        rewinder = self

        class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, revoked: Any) -> None:
                return None

            def on_partitions_assigned(self, assigned: Any) -> None:
                rewinder.on_partitions_assigned(assigned)

        return Listener()
