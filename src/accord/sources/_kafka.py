"""Kafka topics as a source of CloudEvents, read with librdkafka (``confluent-kafka``).

The records come in batches (``Consumer.consume(num_messages=...)``) and are decoded in as
few Python steps as the reader needs: :meth:`KafkaSource.batches` with an
:class:`~accord.events.Envelope` type builds only what an audit reads (four headers and what
its pointers reach in the value), the way :class:`~accord.sources.JsonlSource` does for files.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import logging
import operator
import time
import typing
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import msgspec

from accord._durations import format_duration
from accord.broker import to_librdkafka
from accord.errors import UsageError
from accord.events import DLQ_ERROR_HEADER, Envelope, EventDecodeError, Location, from_kafka
from accord.sources._base import SourcedEvent

__all__ = [
    "KafkaSource",
    "assign_partitions",
    "batch_decoder",
    "open_consumer",
    "parse_kafka_url",
    "record_decoder",
    "record_location",
]

#: Records handed out per batch at most (one ``consume`` call).
_BATCH = 10_000
_POLL_S = 0.2
#: How often a followed source compares the topics' ids with those it started with.
_TOPIC_CHECK_S = 2.0
#: librdkafka logs through this logger (a NullHandler: no stray lines on stderr).
_LOG = logging.getLogger("accord.kafka")
_LOG.addHandler(logging.NullHandler())
#: The group id of a reader that assigns partitions itself (librdkafka wants one; it is
#: never joined nor committed to).
_NO_GROUP = "accord-reader"


def parse_kafka_url(url: str) -> tuple[str, list[str]]:
    """Split ``kafka://HOST:PORT[,HOST:PORT]/TOPIC[,TOPIC]`` into bootstrap and topics."""
    parts = urlsplit(url)
    topics = [t for t in parts.path.lstrip("/").split(",") if t]
    if parts.scheme != "kafka" or not parts.netloc or not topics:
        raise UsageError(f"{url!r} is not a Kafka source: use kafka://HOST:PORT/TOPIC[,TOPIC]")
    return parts.netloc, topics


# -- the consumer ------------------------------------------------------------------------------


def open_consumer(
    bootstrap_servers: str,
    consumer_config: Mapping[str, Any] | None = None,
    *,
    group_id: str | None = None,
    **overrides: Any,
) -> Any:
    """A ``confluent_kafka.Consumer`` with accord's settings.

    Args:
        bootstrap_servers: ``host:port[,host:port]``.
        consumer_config: settings in kafka-python's spelling (what
            :meth:`accord.broker.Broker.consumer_config` returns) or librdkafka's.
        group_id: join this group (``subscribe``); ``None``: partitions are assigned.
        **overrides: librdkafka settings (``"fetch.wait.max.ms"``) with ``_`` for ``.``.
    """
    from confluent_kafka import Consumer

    settings: dict[str, Any] = {
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        # An empty fetch waits this long on the broker: the end of a topic is seen quickly.
        "fetch.wait.max.ms": 100,
    }
    settings.update(to_librdkafka(consumer_config or {}))
    settings.update({k.replace("_", "."): v for k, v in overrides.items()})
    settings["bootstrap.servers"] = bootstrap_servers
    settings["group.id"] = group_id or _NO_GROUP
    settings["logger"] = _LOG
    return Consumer(settings)


def assign_partitions(
    consumer: Any, topics: list[str], name: str, *, offset: int | None = None, wait_s: float = 0.0
) -> list[Any]:
    """Assign every partition of ``topics`` to ``consumer``, at ``offset`` (default: the start).

    Args:
        wait_s: a topic created a moment ago may not list its partitions yet: ask again
            this long.

    Raises:
        UsageError: the broker does not answer, or a topic does not exist.
    """
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    partitions = [
        TopicPartition(topic, p, OFFSET_BEGINNING if offset is None else offset)
        for topic in topics
        for p in topic_partitions(consumer, topic, name, wait_s=wait_s)
    ]
    consumer.assign(partitions)
    return partitions


def topic_partitions(consumer: Any, topic: str, name: str, *, wait_s: float = 0.0) -> list[int]:
    """The partition ids of ``topic``, asking the broker again for up to ``wait_s``."""
    from confluent_kafka import KafkaException

    deadline = time.monotonic() + wait_s
    while True:
        try:
            metadata = consumer.list_topics(topic, timeout=10)
        except KafkaException as exc:
            raise UsageError(f"{name}: cannot reach the broker ({exc.args[0].str()})") from None
        found = metadata.topics.get(topic)
        if found is not None and found.error is None and found.partitions:
            return sorted(found.partitions)
        if time.monotonic() >= deadline:
            raise UsageError(f"{name}: topic {topic!r} does not exist")
        time.sleep(0.1)


def record_location(message: Any) -> Location:
    """Where a ``confluent_kafka.Message`` was read (with its key, as text)."""
    key = message.key()
    return Location(
        message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=key.decode(errors="replace") if key is not None else None,
    )


def _whole(message: Any) -> dict[str, Any]:
    return from_kafka(message.key(), message.value(), message.headers() or ())


def record_decoder(envelope: type[Envelope] | None = None) -> Callable[[Any], Any]:
    """How to turn one ``confluent_kafka.Message`` into what a reader takes.

    Without ``envelope``: the structured CloudEvent dict (:func:`accord.events.from_kafka`).
    With one: an instance of it, the same attributes as converting that dict (this is the
    plain reference of :func:`batch_decoder`). Raises
    :class:`~accord.events.EventDecodeError` for a record that is not a CloudEvent.
    """
    if envelope is None:
        return _whole
    return functools.partial(_converted, envelope=envelope)


def _converted(message: Any, envelope: type[Envelope]) -> Any:
    event = _whole(message)
    try:
        return msgspec.convert(event, envelope)
    except msgspec.ValidationError as exc:  # pragma: no cover - every JSON value converts
        raise EventDecodeError(str(exc)) from None


class _Skipped(msgspec.Struct):
    """A JSON object checked to be well-formed and not built (its members are skipped)."""


#: the four attributes' headers, in the order of Envelope's fields
_FOUR = [operator.itemgetter(name) for name in ("ce_type", "ce_time", "ce_partitionkey", "ce_id")]
_CONTENT_TYPE = operator.methodcaller("get", "content-type")
_DEAD_LETTERED = operator.methodcaller("__contains__", DLQ_ERROR_HEADER)
_HEADERS = operator.methodcaller("headers")
_VALUE = operator.methodcaller("value")
_ERROR = operator.methodcaller("error")
_TOPIC = operator.methodcaller("topic")
_PARTITION = operator.methodcaller("partition")
_NONES = itertools.repeat(None)
#: what the fast path gives up on; the record is then decoded by record_decoder
_ODD = (KeyError, TypeError, ValueError, msgspec.DecodeError)


def batch_decoder(envelope: type[Envelope]) -> Callable[[list[Any]], list[Any]] | None:
    """Many records at once into ``envelope`` instances, without a Python step per record.

    The hot path of a live audit: a chain of ``map`` over C functions reads the
    ``ce_type``, ``ce_time``, ``ce_partitionkey`` and ``ce_id`` headers, decodes them as
    text, checks the value is JSON (``data``, decoded only as far as the envelope's pointers
    reach) and builds the envelopes. It covers the records the reference system and any
    binary-mode producer write (those four headers in lower case, a JSON value); for any
    other record of the batch it raises (KeyError, TypeError, ValueError or
    msgspec.DecodeError) and the caller decodes the batch with :func:`record_decoder`,
    which gives the same envelopes (held equal by property tests) and names what is wrong.
    Like ``JsonlSource.feed``, headers the audit does not read are not checked to be UTF-8.

    Returns:
        ``list[(envelope, message)]`` from ``list[message]``; ``None`` when the envelope
        reads an attribute other than the four and ``data`` (decode records one at a time).
    """
    extras = msgspec.structs.fields(envelope)[4:]
    names = {f.encode_name for f in extras}
    if names - {"data"}:
        return None
    if names:
        args = [a for a in typing.get_args(extras[0].type) if a is not msgspec.UnsetType]
        value_type: Any = functools.reduce(operator.or_, args) if args else Any
    else:  # checked, not kept
        value_type = _Skipped | list | str | int | float | bool | None
    decode_value = msgspec.json.Decoder(value_type).decode
    with_data = bool(names)
    decode = bytes.decode

    def decode_batch(messages: list[Any]) -> list[Any]:
        headers = list(map(dict, map(_HEADERS, messages)))  # TypeError: no headers
        if any(map(_DEAD_LETTERED, headers)):
            raise ValueError("a dead-lettered copy: decoded whole")
        for content_type in set(map(_CONTENT_TYPE, headers)):
            if content_type is not None and b"json" not in content_type:
                raise ValueError("a value that is not JSON")
        values = list(map(decode_value, map(_VALUE, messages)))  # TypeError: no value
        # one column per attribute (KeyError: a header is missing), then one call each
        columns: list[Iterator[Any]] = [map(decode, map(get, headers)) for get in _FOUR]
        if with_data:
            columns.append(iter(values))
        return list(zip(map(envelope, *columns), messages, strict=True))

    return decode_batch


# -- the source --------------------------------------------------------------------------------


class KafkaSource:
    """Records of Kafka topics in CloudEvents binary mode, as structured CloudEvents.

    Without ``follow`` it reads every partition from the start until each has reached its
    end once, then stops, with librdkafka (confluent-kafka). The end is the high-water mark
    of a fetch (librdkafka's partition EOF), not ``ListOffsets``: some brokers (Tansu)
    answer ListOffsets wrongly for multi-record batches.

    With ``follow`` it keeps reading until the iterator is closed, with kafka-python: a
    follower must outlive a topic being deleted and created again (or a memory-only broker
    restarting), and librdkafka 2.16 crashes (SIGSEGV in ``rd_kafka_metadata_cache_find``)
    when a topic it fetches from is deleted on Tansu 0.6, whose Fetch answers a deleted
    topic id with UNKNOWN_TOPIC_OR_PARTITION and whose Metadata then names no topic.
    kafka-python (with ``crc32c``) reads about half as fast, far above any producer's pace.

    With a ``group_id`` it joins that consumer group, reads only the partitions the group
    assigns it, and commits offsets after each batch it handed out was taken: several
    readers in one group split the partitions, the Kafka way.

    A record that is not a CloudEvent is reported through :attr:`undecodable` (location and
    reason) and skipped, so one bad record does not hide the rest.

    What the topics cannot be trusted to hold any more is said in :attr:`incomplete`, one
    reason each: a topic recreated while it was read (its topic id changed), offsets of a
    partition that went back (the broker lost records, e.g. a memory-only broker restarted)
    or jumped forward (records were removed before they were read). A report from such a
    reading cannot vouch for the events it did not see.

    Args:
        bootstrap_servers: ``host:port[,host:port]``.
        topics: the topics to read.
        follow: keep reading new records.
        group_id: read as a member of this consumer group.
        consumer_config: extra consumer settings, in kafka-python's spelling (a broker's
            :meth:`~accord.broker.Broker.consumer_config`) or librdkafka's.
        idle_timeout_s: without ``follow``, give up when nothing arrives for this long.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: list[str],
        *,
        follow: bool = False,
        group_id: str | None = None,
        consumer_config: Mapping[str, Any] | None = None,
        idle_timeout_s: float = 30.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = list(topics)
        self.follow = follow
        self.group_id = group_id
        self.name = f"kafka://{bootstrap_servers}/{','.join(self.topics)}"
        self.undecodable: list[tuple[Location, str]] = []
        self.incomplete: list[str] = []
        #: called with each reason as it is noted (a follower can say so at once)
        self.on_incomplete: Callable[[str], None] | None = None
        self._config = dict(consumer_config or {})
        self._idle_timeout_s = idle_timeout_s

    def __iter__(self) -> Iterator[SourcedEvent]:
        decode = record_decoder()
        for records in self._records(pause_gc=False):
            for message in records:  # one at a time: undecodable records are noted in order
                try:
                    event = decode(message)
                except EventDecodeError as exc:
                    self.undecodable.append((record_location(message), str(exc)))
                    continue
                yield event, record_location(message)

    def batches(
        self, envelope: type[Envelope] | None = None, *, pause_gc: bool = False
    ) -> Iterator[tuple[list[tuple[Any, Any]], list[tuple[dict[str, Any], Location]]]]:
        """The records a fetch at a time: ``(pairs, dead)``.

        ``pairs`` are ``(event, message)``: ``event`` a structured CloudEvent dict, or an
        instance of ``envelope`` (see :func:`batch_decoder`); ``message`` the
        ``confluent_kafka.Message`` (:func:`record_location` says where it was read).
        ``dead`` are the dead-lettered copies among them (records with the
        ``accord-error`` header, see :func:`accord.events.is_dead_lettered`) as whole
        events with their locations, whatever ``envelope`` is. In a group, a fetch's
        offsets are committed when the next one is asked for.

        With ``pause_gc`` Python's cyclic garbage collector is off while the batches are
        read to the end (a follower leaves it on): a batch is some 150,000 young objects
        that die together, and each time the collector met them it also walked the reader's
        whole long-lived state (an audit's keys), which made the collector the largest cost
        of a live audit (as for ``JsonlSource.feed``). Only pass True when handling a batch
        makes no cyclic garbage.

        Raises:
            UsageError: the broker does not answer, a topic does not exist, or (without
                ``follow``) nothing arrives for ``idle_timeout_s``.
        """
        fast = batch_decoder(envelope) if envelope is not None else None
        for records in self._records(pause_gc):
            pairs, dead = self._decode(records, fast, envelope)
            if pairs or dead:
                yield pairs, dead

    def _records(self, pause_gc: bool) -> Iterator[list[Any]]:
        """The consumer's records (``confluent_kafka.Message``), a fetch at a time."""
        if self.follow:
            yield from self._follow_records()
            return
        consumer = open_consumer(self.bootstrap_servers, self._config, group_id=self.group_id)
        try:
            collecting = pause_gc and gc.isenabled()
            if collecting:
                gc.disable()
            try:
                yield from self._read(consumer)
            finally:
                if collecting:
                    gc.enable()
        finally:
            consumer.close()

    def _read(self, consumer: Any) -> Iterator[list[Any]]:
        """Every assigned partition to its end (librdkafka's partition EOF), a fetch at a time."""
        from confluent_kafka import KafkaError, KafkaException

        assigned: set[tuple[str, int]] = set()
        if self.group_id is None:
            for tp in assign_partitions(consumer, self.topics, self.name):
                assigned.add((tp.topic, tp.partition))
        else:
            for topic in self.topics:
                topic_partitions(consumer, topic, self.name)  # exists, and the broker answers

            def on_assign(consumer: Any, partitions: list[Any]) -> None:
                assigned.update((tp.topic, tp.partition) for tp in partitions)

            def on_revoke(consumer: Any, partitions: list[Any]) -> None:
                for tp in partitions:
                    assigned.discard((tp.topic, tp.partition))
                    ended.discard((tp.topic, tp.partition))

            consumer.subscribe(self.topics, on_assign=on_assign, on_revoke=on_revoke)
        ids = _TopicIds(_AdminIds(self.bootstrap_servers, self._config, self.topics))
        ids.changed()  # the ids the reading starts with
        ended: set[tuple[str, int]] = set()
        expected: dict[tuple[str, int], int] = {}  # partition -> the next offset
        eof = KafkaError._PARTITION_EOF
        last_progress = time.monotonic()
        pending_commit = False
        while True:
            if pending_commit:
                with contextlib.suppress(KafkaException):  # the next batch commits again
                    consumer.commit(asynchronous=True)
                pending_commit = False
            messages = consumer.consume(_BATCH, _POLL_S)
            records = messages
            errors = list(map(_ERROR, messages))
            # (not errors.count(None): KafkaError's == None leaves a TypeError set)
            if any(map(operator.is_not, errors, _NONES)):  # ends of partitions, broker errors
                for message, error in zip(messages, errors, strict=True):
                    if error is None:
                        continue
                    if error.code() == eof:
                        ended.add((message.topic(), message.partition()))
                    else:
                        self._error(error)
                records = list(itertools.compress(messages, map(operator.is_, errors, _NONES)))
            now = time.monotonic()
            if messages:
                last_progress = now
            if records:
                self._check_offsets(consumer, records, expected)
                yield records
                pending_commit = self.group_id is not None
            if assigned and assigned <= ended:
                if pending_commit:
                    consumer.commit(asynchronous=False)
                self._note_recreated(ids)
                return
            if now - last_progress > self._idle_timeout_s:
                raise UsageError(
                    f"{self.name}: no fetch response for "
                    f"{format_duration(self._idle_timeout_s)}; "
                    "is the broker up and are the topics readable?"
                )

    def _follow_records(self) -> Iterator[list[Any]]:
        """Records read with kafka-python until closed (see the class docstring: why)."""
        from kafka import KafkaConsumer, TopicPartition
        from kafka.errors import KafkaError

        config: dict[str, Any] = {
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1000,
            "auto_offset_reset": "earliest",
            "enable_auto_commit": False,
            # Fail in seconds, not kafka-python's 30 s, when nothing answers at the address.
            "bootstrap_timeout_ms": 10000,
            # Refresh the metadata often enough to see a topic's id change.
            "metadata_max_age_ms": int(_TOPIC_CHECK_S * 1000),
        }
        config.update({k: v for k, v in self._config.items() if "." not in k})
        config["bootstrap_servers"] = self.bootstrap_servers
        try:
            consumer = KafkaConsumer(group_id=self.group_id, **config)
        except KafkaError as exc:
            raise UsageError(f"{self.name}: cannot reach the broker ({exc})") from None
        try:
            if self.group_id is not None:
                consumer.subscribe(self.topics)
            else:
                partitions = []
                for topic in self.topics:
                    found = consumer.partitions_for_topic(topic)
                    if not found:
                        raise UsageError(f"{self.name}: topic {topic!r} does not exist")
                    partitions += [TopicPartition(topic, p) for p in sorted(found)]
                consumer.assign(partitions)
                consumer.seek_to_beginning(*partitions)
            cluster = consumer._client.cluster  # its metadata carries the topic ids

            def lookup() -> dict[str, str]:
                found = {t: cluster.topic_id(t) for t in self.topics}
                return {t: str(i) for t, i in found.items() if i is not None}

            ids = _TopicIds(lookup)
            expected: dict[tuple[str, int], int] = {}
            next_check = time.monotonic()
            while True:
                batch = consumer.poll(timeout_ms=int(_POLL_S * 1000))
                records: list[Any] = []
                for tp, items in batch.items():
                    where = (tp.topic, tp.partition)
                    before = expected.get(where)
                    for item in items:
                        if before is not None and item.offset != before:
                            self._note_gap(where, before, item.offset)
                        before = item.offset + 1
                        records.append(_Record(item))
                    expected[where] = before  # type: ignore[assignment]
                if time.monotonic() >= next_check:
                    self._note_recreated(ids)
                    next_check = time.monotonic() + _TOPIC_CHECK_S
                if records:
                    yield records
                    if self.group_id is not None:
                        consumer.commit()
        finally:
            consumer.close()

    def _decode(
        self,
        records: list[Any],
        fast: Callable[[list[Any]], list[Any]] | None,
        envelope: type[Envelope] | None,
    ) -> tuple[list[tuple[Any, Any]], list[tuple[dict[str, Any], Location]]]:
        """The batch decoded fast if every record allows it, else one at a time."""
        from accord.events import is_dead_lettered

        if fast is not None:
            try:
                return fast(records), []
            except _ODD:
                pass
        pairs: list[tuple[Any, Any]] = []
        dead: list[tuple[dict[str, Any], Location]] = []
        for message in records:
            try:
                event = _whole(message)
            except EventDecodeError as exc:
                self.undecodable.append((record_location(message), str(exc)))
                continue
            if is_dead_lettered(event):
                dead.append((event, record_location(message)))
            elif envelope is None:
                pairs.append((event, message))
            else:
                pairs.append((msgspec.convert(event, envelope), message))
        return pairs, dead

    def _check_offsets(
        self, consumer: Any, records: list[Any], expected: dict[tuple[str, int], int]
    ) -> None:
        """Note offsets that went back or jumped: per partition, the records of a batch must
        continue where the last batch ended (the consumer's position says where that is)."""
        from confluent_kafka import TopicPartition

        counts = Counter(zip(map(_TOPIC, records), map(_PARTITION, records), strict=True))
        positions = consumer.position([TopicPartition(t, p) for t, p in counts])
        for tp in positions:
            where = (tp.topic, tp.partition)
            before = expected.get(where)
            if before is not None and tp.offset != before + counts[where]:
                for message in records:  # find where (rare)
                    if (message.topic(), message.partition()) == where:
                        offset = message.offset()
                        if offset != before:
                            self._note_gap(where, before, offset)
                        before = offset + 1
            expected[where] = tp.offset

    def _error(self, error: Any) -> None:
        from confluent_kafka import KafkaError

        if error.fatal():
            raise UsageError(f"{self.name}: {error.str()}")
        if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            self._note(f"a topic of {self.name} disappeared while it was read ({error.str()})")

    def _note(self, reason: str) -> None:
        if reason not in self.incomplete:
            self.incomplete.append(reason)
            if self.on_incomplete is not None:
                self.on_incomplete(reason)

    def _note_gap(self, where: tuple[str, int], before: int, offset: int) -> None:
        topic, partition = where
        if offset < before:
            self._note(
                f"{topic}/{partition}: offsets went back from {before} to {offset} (the broker "
                "lost records or the topic was recreated); events before may be missing"
            )
        else:
            self._note(
                f"{topic}/{partition}: offsets jumped from {before} to {offset}; records "
                f"{before}..{offset - 1} were never read (removed, or transaction markers)"
            )

    def _note_recreated(self, ids: _TopicIds) -> None:
        for topic, old, new in ids.changed():
            self._note(
                f"topic {topic!r} was recreated while it was read (topic id {old} became "
                f"{new}); events of the old topic not read before may be missing"
            )


class _TopicIds:
    """The topic ids of some topics, to notice one that was deleted and created again.

    Args:
        lookup: the ids now, by topic (a topic absent just now is left out).
    """

    def __init__(self, lookup: Callable[[], dict[str, str]]) -> None:
        self._lookup = lookup
        self._first: dict[str, str] = {}
        self._reported: dict[str, str] = {}

    def changed(self) -> list[tuple[str, str, str]]:
        """``(topic, first id, id now)`` for each topic whose id changed since first seen."""
        changes = []
        for topic, now in self._lookup().items():
            first = self._first.get(topic)
            if first is None:
                self._first[topic] = now
            elif now != first and self._reported.get(topic) != now:
                self._reported[topic] = now
                changes.append((topic, first, now))
        return changes


class _AdminIds:
    """Topic ids by ``describe_topics`` of a librdkafka admin client."""

    def __init__(self, bootstrap: str, config: Mapping[str, Any], topics: list[str]) -> None:
        from confluent_kafka.admin import AdminClient

        settings = {
            k: v
            for k, v in to_librdkafka(config).items()
            if k in ("security.protocol", "sasl.mechanism", "sasl.username", "sasl.password")
        }
        settings.update({"bootstrap.servers": bootstrap, "logger": _LOG})
        self._admin: Any = AdminClient(settings)
        self._topics = topics

    def __call__(self) -> dict[str, str]:
        from confluent_kafka import KafkaException, TopicCollection

        ids: dict[str, str] = {}
        try:
            futures = self._admin.describe_topics(TopicCollection(self._topics), request_timeout=5)
        except KafkaException:
            return ids
        for topic, future in futures.items():
            try:
                ids[topic] = str(future.result().topic_id)
            except KafkaException:
                continue  # absent just now: compared at the next look
        return ids


class _Record:
    """A kafka-python ``ConsumerRecord`` seen as a ``confluent_kafka.Message``."""

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def key(self) -> bytes | None:
        key: bytes | None = self._record.key
        return key

    def value(self) -> bytes | None:
        value: bytes | None = self._record.value
        return value

    def headers(self) -> list[tuple[str, bytes]] | None:
        return list(self._record.headers) or None

    def topic(self) -> str:
        return str(self._record.topic)

    def partition(self) -> int:
        return int(self._record.partition)

    def offset(self) -> int:
        return int(self._record.offset)

    def error(self) -> None:
        return None
