"""TopicRewinder: a topic recreated under a consumer is read again from offset 0."""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition

from reference_services.common.recreated import TopicRewinder


class _Cluster:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {"order": "id-1"}

    def topic_id(self, topic: str) -> str | None:
        return self.ids.get(topic)


class _Client:
    def __init__(self) -> None:
        self.cluster = _Cluster()


class FakeConsumer:
    def __init__(self) -> None:
        self._client = _Client()
        self.assigned = {TopicPartition("order", 0), TopicPartition("order", 1)}
        self.rewound: list[set[TopicPartition]] = []

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def seek_to_beginning(self, *partitions: Any) -> None:
        self.rewound.append(set(partitions))


def test_nothing_is_rewound_while_the_topic_id_stays() -> None:
    consumer = FakeConsumer()
    rewinder = TopicRewinder(consumer, ["order"])
    assert rewinder.check() == set()
    assert rewinder.check() == set()
    rewinder.on_partitions_assigned(consumer.assignment())
    assert consumer.rewound == []


def test_a_new_topic_id_rewinds_the_assigned_partitions_once_and_at_the_next_assignment() -> None:
    consumer = FakeConsumer()
    rewinder = TopicRewinder(consumer, ["order"])
    rewinder.check()
    consumer._client.cluster.ids["order"] = "id-2"
    stale = rewinder.check()
    assert stale == consumer.assigned
    assert consumer.rewound == [consumer.assigned]
    assert rewinder.check() == set(), "rewound once, then the records are read"
    # A rebalance before any commit: the group's offsets are the stale ones, rewind again,
    # partition 2 included (it was not ours when the topic was recreated).
    consumer.assigned = {TopicPartition("order", p) for p in (0, 1, 2)}
    rewinder.on_partitions_assigned(consumer.assignment())
    assert consumer.rewound[-1] == consumer.assigned
    # Once a commit of partition 0 is accepted its offsets are right: only 1 and 2 rewind.
    rewinder.committed([TopicPartition("order", 0)])
    rewinder.on_partitions_assigned(consumer.assignment())
    assert consumer.rewound[-1] == {TopicPartition("order", 1), TopicPartition("order", 2)}


def test_a_consumer_without_metadata_is_left_alone() -> None:
    class Bare:
        def assignment(self) -> set[TopicPartition]:
            return {TopicPartition("order", 0)}

    assert TopicRewinder(Bare(), ["order"]).check() == set()
