"""The event recorder behind the ``accord_events`` fixture.

A background thread reads the chosen topics from the moment recording starts, turns each
record into a CloudEvent, validates it against the contracts and keeps it. Tests ask it for
events (:meth:`EventRecorder.wait_for`); the plugin fails the test that produced a record
that breaks its schema.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord._durations import format_duration
from accord.errors import ViolationError

if TYPE_CHECKING:
    from accord.broker import Broker
    from accord.events import Location

__all__ = [
    "EventDeadLettered",
    "EventProblem",
    "EventRecorder",
    "EventSchemaError",
    "EventWaitTimeout",
    "Recorded",
]

_POLL_MS = 100
#: Poll cycles that must pass after a drain request before the recorder counts as caught up;
#: with a 100 ms fetch wait, three cycles span at least one whole fetch round trip.
_DRAIN_CYCLES = 3
#: How long a topic may take to show up in the metadata after it was created.
_TOPIC_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Recorded:
    """One event the recorder kept, with where it was read."""

    event: dict[str, Any]
    location: Location
    received_at: float


@dataclass(frozen=True, slots=True)
class EventProblem:
    """A record that broke its contract: where it is, what it is, and what is wrong."""

    location: str
    event_type: str
    event_id: str
    key: str | None
    pointer: str
    reason: str

    def __str__(self) -> str:
        key = f" key={self.key}" if self.key is not None else ""
        pointer = self.pointer or "(event)"
        return (
            f"{self.location} {self.event_type} id={self.event_id}{key}: {pointer}: {self.reason}"
        )


class EventSchemaError(ViolationError):
    """Events recorded during a test broke their schemas; fails the test that produced them.

    Attributes:
        problems: one entry per violation, with topic/partition@offset and JSON pointer.
    """

    def __init__(
        self, problems: list[EventProblem], contracts: str | None = None, *, waiting: str = ""
    ) -> None:
        self.problems = problems
        count = len({p.location for p in problems})
        noun = "event" if count == 1 else "events"
        # The first line names the first violation: the cause a person fixes.
        lines = [f"{count} {noun} broke the schema contract during this test: {problems[0]}"]
        lines += [f"  {p}" for p in problems[1:]]
        where = f" in {contracts}" if contracts else ""
        lines.append(f"fix the producer, or change the schema{where} with a new version")
        if waiting:
            lines.append(f"(found while waiting for {waiting})")
        super().__init__("\n".join(lines))

    __module__ = "accord.pytest_plugin"


class EventDeadLettered(ViolationError):
    """:meth:`EventRecorder.wait_for` waited for an event that can no longer come: a consumer
    dead-lettered an event of the same key (its reason is in the dead-letter record)."""

    def __init__(self, waiting: str, dead: dict[str, Any]) -> None:
        data = dead.get("data") or {}
        self.event_type = str(data.get("type"))
        self.key = dead.get("partitionkey")
        self.reason = str(data.get("reason"))
        super().__init__(
            f"a consumer dead-lettered {self.event_type} with key {self.key} "
            f"({data.get('origin')}, in {data.get('dlq')}): {self.reason}; stopped waiting for "
            f"{waiting}"
        )

    __module__ = "accord.pytest_plugin"


class EventWaitTimeout(ViolationError):
    """:meth:`EventRecorder.wait_for` saw no matching event in time."""

    def __init__(self, event_type: str, key: str | None, within_s: float, seen: str) -> None:
        self.event_type = event_type
        self.key = key
        self.within_s = within_s
        what = f"{event_type} with key {key}" if key is not None else event_type
        super().__init__(f"no {what} arrived within {format_duration(within_s)}; {seen}")

    __module__ = "accord.pytest_plugin"


def _seconds(value: float | str) -> float:
    if isinstance(value, str):
        from accord._durations import parse_duration

        return parse_duration(value)
    return float(value)


class EventRecorder:
    """Records CloudEvents from Kafka topics (or Atom feeds) while a test runs.

    With ``feeds`` it reads Atom feeds instead of topics: :meth:`record` takes a name of
    ``feeds`` (``"order"``, ``"invoice"``, ...) or a feed URL, and polls the feed's head
    with conditional GETs from the entry that was newest when recording began.

    Args:
        broker: a started broker (None when recording feeds).
        registry: a :class:`accord.schemas.SchemaRegistry`; every recorded event is validated
            against it. ``None`` records without validating.
        contracts: the contracts directory, named in error messages.
        create_topics: create topics that do not exist yet (3 partitions) before reading.
        clock: seconds on a monotonic clock, for deadlines.
        feeds: record Atom feeds: name -> head URL (``http://HOST:PORT/feed``).
    """

    def __init__(
        self,
        broker: Broker | None,
        registry: Any = None,
        *,
        contracts: str | None = None,
        create_topics: bool = True,
        clock: Callable[[], float] = time.monotonic,
        feeds: Mapping[str, str] | None = None,
    ) -> None:
        if broker is None and feeds is None:
            raise ValueError("EventRecorder needs a broker or feeds")
        self._feeds = dict(feeds) if feeds is not None else None
        self._broker = broker
        self._registry = registry
        self._contracts = contracts
        self._create_topics = create_topics
        self._clock = clock
        self._cond = threading.Condition()
        self._recorded: list[Recorded] = []
        self._problems: list[EventProblem] = []
        self._readers: list[_TopicReader | _FeedReader] = []
        self._topics: list[str] = []
        self._reported = 0

    # -- recording ----------------------------------------------------------------------
    @property
    def transport(self) -> str:
        """``kafka`` or ``atom``: what this recorder reads."""
        return "kafka" if self._feeds is None else "atom"

    @property
    def topics(self) -> list[str]:
        """Topics being recorded."""
        return list(self._topics)

    def record(self, *topics: str) -> EventRecorder:
        """Start recording these topics; returns once reading starts at their current end.

        Records already on the topics are not recorded: only what is produced from now on.
        """
        new = [t for t in dict.fromkeys(topics) if t not in self._topics]
        if not new:
            return self
        reader: _TopicReader | _FeedReader
        if self._feeds is not None:
            # A name may stand for several feeds (comma-separated URLs: order.dlq is every
            # poller's dead letters).
            pairs = [(n, u.strip()) for n in new for u in self._feed_url(n).split(",")]
            reader = _FeedReader(self, new, [u for _, u in pairs if u])
        else:
            assert self._broker is not None
            if self._create_topics:
                self._broker.create_topics(new)
            reader = _TopicReader(self, new)
        reader.start()
        self._readers.append(reader)
        self._topics += new
        return self

    def _feed_url(self, name: str) -> str:
        assert self._feeds is not None
        if name in self._feeds:
            return self._feeds[name]
        if name.startswith(("http://", "https://")):
            return name
        from accord.errors import UsageError

        known = ", ".join(sorted(self._feeds)) or "none"
        raise UsageError(
            f"accord_events: no Atom feed for {name!r} (feeds: {known}); record a feed "
            "name or a feed URL"
        )

    def has_feed(self, name: str) -> bool:
        """Whether ``name`` is one of the Atom feeds this recorder knows by name."""
        return self._feeds is not None and bool(self._feeds.get(name))

    def close(self) -> None:
        """Stop reading; idempotent."""
        for reader in self._readers:
            reader.stop()
        for reader in self._readers:
            reader.join()
        self._readers = []

    def __enter__(self) -> EventRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what was recorded ----------------------------------------------------------------
    @property
    def records(self) -> list[Recorded]:
        """Everything recorded so far, in arrival order."""
        with self._cond:
            self._raise_reader_error()
            return list(self._recorded)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The recorded CloudEvents (structured dicts), in arrival order."""
        return [r.event for r in self.records]

    def of_type(self, event_type: str, key: str | None = None) -> list[dict[str, Any]]:
        """Recorded events of one type, optionally of one key (``partitionkey``)."""
        return [
            e
            for e in self.events
            if e.get("type") == event_type and (key is None or e.get("partitionkey") == key)
        ]

    @property
    def problems(self) -> list[EventProblem]:
        """Contract violations found so far."""
        with self._cond:
            return list(self._problems)

    def wait_for(
        self, event_type: str, key: str | None = None, within: float | str = "5s"
    ) -> dict[str, Any]:
        """Wait until an event of ``event_type`` (and ``key``, if given) has been recorded.

        Args:
            event_type: the CloudEvent ``type``.
            key: the ``partitionkey`` (record key), e.g. an order id.
            within: how long to wait: seconds or a duration such as ``"5s"``.

        Returns:
            The first matching event.

        Raises:
            EventWaitTimeout: (an ``AssertionError``) naming what was seen instead.
        """
        __tracebackhide__ = True
        from accord.events import DEAD_LETTER_TYPE

        limit = _seconds(within)
        deadline = self._clock() + limit
        waiting = f"{event_type} with key {key}" if key is not None else event_type

        def match() -> dict[str, Any] | None:
            for rec in self._recorded:
                event = rec.event
                if event.get("type") == event_type and (
                    key is None or event.get("partitionkey") == key
                ):
                    return event
            return None

        def dead_letter() -> dict[str, Any] | None:
            for rec in self._recorded:
                event = rec.event
                if event.get("type") == DEAD_LETTER_TYPE and event.get("partitionkey") == key:
                    return event
            return None

        with self._cond:
            while True:
                self._raise_reader_error()
                found = match()
                if found is not None:
                    return found
                # What is already known to fail explains the wait better than a timeout:
                # a broken schema, or a consumer that dead-lettered this key's event.
                fresh = self._problems[self._reported :]
                if fresh:
                    self._reported = len(self._problems)
                    raise EventSchemaError(fresh, self._contracts, waiting=waiting)
                dead = dead_letter() if key is not None else None
                if dead is not None:
                    raise EventDeadLettered(waiting, dead)
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.2))
            seen = self._describe_seen(key)
        raise EventWaitTimeout(event_type, key, limit, seen)

    def _describe_seen(self, key: str | None) -> str:
        topics = ", ".join(self._topics) or "no topics (call accord_events.record(TOPIC, ...))"
        if key is not None:
            same = [r for r in self._recorded if r.event.get("partitionkey") == key]
            if same:
                kinds = ", ".join(f"{r.event.get('type')} at {r.location}" for r in same)
                return f"for that key it saw {kinds} (recording {topics})"
        counts: dict[str, int] = {}
        for rec in self._recorded:
            name = str(rec.event.get("type"))
            counts[name] = counts.get(name, 0) + 1
        if not counts:
            return f"nothing was recorded from {topics}"
        summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
        return f"recorded {summary} from {topics}"

    def wait_changed(self, timeout_s: float) -> None:
        """Block until a record arrives or ``timeout_s`` passes."""
        with self._cond:
            count = len(self._recorded)
            self._cond.wait_for(lambda: len(self._recorded) != count, timeout_s)

    def drain(self, timeout_s: float = 10.0) -> None:
        """Return once everything produced before this call has been recorded.

        Raises:
            TimeoutError: when the readers do not catch up in time.
        """
        readers = list(self._readers)
        targets = [(reader, reader.cycles + _DRAIN_CYCLES) for reader in readers]
        deadline = self._clock() + timeout_s
        with self._cond:
            while True:
                self._raise_reader_error()
                if all(r.cycles >= n and r.caught_up for r, n in targets):
                    return
                left = deadline - self._clock()
                if left <= 0:
                    raise TimeoutError(
                        f"accord_events did not catch up with {', '.join(self._topics)} "
                        f"within {format_duration(timeout_s)}"
                    )
                self._cond.wait(min(left, 0.2))

    def check(self) -> None:
        """Raise :class:`EventSchemaError` for violations not reported yet."""
        __tracebackhide__ = True
        with self._cond:
            fresh = self._problems[self._reported :]
            self._reported = len(self._problems)
        if fresh:
            raise EventSchemaError(fresh, self._contracts)

    # -- called from reader threads --------------------------------------------------------
    def _raise_reader_error(self) -> None:
        for reader in self._readers:
            if reader.error is not None:
                raise RuntimeError(
                    f"accord_events stopped reading {', '.join(reader.topics)}: {reader.error}"
                ) from reader.error

    def _keep(self, items: Iterable[tuple[Recorded, list[EventProblem]]]) -> None:
        with self._cond:
            for rec, problems in items:
                self._recorded.append(rec)
                self._problems += problems
            self._cond.notify_all()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _validate(self, event: dict[str, Any], key: str | None, where: str) -> list[EventProblem]:
        if self._registry is None:
            return []
        found = self._registry.validate(event, key=key)
        return [
            EventProblem(
                location=where,
                event_type=str(getattr(v, "event_type", None) or event.get("type")),
                event_id=str(getattr(v, "event_id", None) or event.get("id")),
                key=key,
                pointer=str(getattr(v, "pointer", "") or ""),
                reason=_reason(v),
            )
            for v in found
        ]


def _reason(violation: Any) -> str:
    message = str(getattr(violation, "message", violation))
    keyword = getattr(violation, "keyword", None)
    return f"{message} ({keyword})" if keyword else message


class _TopicReader(threading.Thread):
    """One consumer (no group: assigned partitions) and the thread that polls it."""

    def __init__(self, owner: EventRecorder, topics: list[str]) -> None:
        super().__init__(name=f"accord-events-{','.join(topics)}", daemon=True)
        self.owner = owner
        self.topics = topics
        self.cycles = 0
        self.caught_up = False
        self.error: BaseException | None = None
        self._stop_event = threading.Event()
        self._ready = threading.Event()
        # Records stamped before this instant were produced before recording started.
        self._start_ms = int(time.time() * 1000)
        self._consumer: Any = None
        self._ends: dict[tuple[str, int], bool] = {}

    def start(self) -> None:
        from confluent_kafka import OFFSET_END, TopicPartition

        from accord.sources import open_consumer

        broker = self.owner._broker
        assert broker is not None  # topic readers exist only for a recorder with a broker
        consumer = open_consumer(
            broker.bootstrap_servers,
            broker.consumer_config(group_id=None, enable_auto_commit=False),
            fetch_wait_max_ms=_POLL_MS,
        )
        partitions = []
        for topic in self.topics:
            for p in sorted(self._partitions(consumer, topic)):
                # The end now, before the test produces anything: assigning OFFSET_END would
                # look it up later, past records the test sends right after record().
                # ListOffsets may answer below the true end on some brokers (Tansu,
                # multi-record batches), so it is a lower bound; records older than the
                # start are dropped by their timestamp below.
                _, end = consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=_TOPIC_WAIT_S, cached=False
                )
                partitions.append(TopicPartition(topic, p, end if end >= 0 else OFFSET_END))
        consumer.assign(partitions)
        self._ends = dict.fromkeys(((tp.topic, tp.partition) for tp in partitions), False)
        self._consumer = consumer
        super().start()

    def _partitions(self, consumer: Any, topic: str) -> list[int]:
        """The topic's partitions; a topic created a moment ago may need a metadata refresh."""
        from accord.errors import UsageError
        from accord.sources._kafka import topic_partitions

        try:
            return topic_partitions(consumer, topic, "accord_events", wait_s=_TOPIC_WAIT_S)
        except UsageError:
            consumer.close()
            raise RuntimeError(
                f"accord_events: topic {topic!r} does not exist on "
                f"{getattr(self.owner._broker, 'bootstrap_servers', '?')} "
                f"(waited {format_duration(_TOPIC_WAIT_S)})"
            ) from None

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        from confluent_kafka import KafkaError

        from accord.events import (
            DLQ_SUFFIX,
            EventDecodeError,
            dead_letter_event,
            from_kafka,
            is_dead_lettered,
        )
        from accord.sources import record_location

        consumer = self._consumer
        ends = self._ends
        eof = KafkaError._PARTITION_EOF
        try:
            while not self._stop_event.is_set():
                messages = consumer.consume(10_000, _POLL_MS / 1000)
                kept: list[tuple[Recorded, list[EventProblem]]] = []
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == eof:
                            ends[message.topic(), message.partition()] = True
                        continue
                    ends[message.topic(), message.partition()] = False
                    _, stamp = message.timestamp()
                    if 0 <= stamp < self._start_ms:
                        continue
                    where = record_location(message)
                    key = where.key
                    try:
                        event = from_kafka(message.key(), message.value(), message.headers() or ())
                    except EventDecodeError as exc:
                        event = {"type": None, "partitionkey": key}
                        # A dead-letter topic holds what a consumer could not read: the
                        # copy of a record that is no CloudEvent is no fault of its own.
                        problems = (
                            []
                            if where.source.endswith(DLQ_SUFFIX)
                            else [
                                EventProblem(
                                    str(where), "(not a CloudEvent)", "-", key, "", str(exc)
                                )
                            ]
                        )
                        kept.append((Recorded(event, where, time.monotonic()), problems))
                        continue
                    if is_dead_lettered(event):
                        # A consumer's dead letter: the original was validated where it
                        # was read; this says which event failed and why.
                        event = dead_letter_event(event, str(where))
                        problems = []
                    else:
                        problems = self.owner._validate(event, key, str(where))
                    kept.append((Recorded(event, where, time.monotonic()), problems))
                self.caught_up = not messages and all(ends.values())
                self.cycles += 1
                if kept:
                    self.owner._keep(kept)
                else:
                    self.owner._notify()
        except BaseException as exc:  # surfaced to the test by the owner
            self.error = exc
            self.owner._notify()
        finally:
            consumer.close()


class _FeedReader(threading.Thread):
    """Polls Atom feeds from the entry that was newest when recording began."""

    def __init__(self, owner: EventRecorder, names: list[str], urls: list[str]) -> None:
        super().__init__(name=f"accord-feeds-{','.join(names)}", daemon=True)
        self.owner = owner
        self.topics = names
        self.cycles = 0
        self.caught_up = False
        self.error: BaseException | None = None
        self._stop_event = threading.Event()
        self._urls = urls
        self._follower: Any = None

    def start(self) -> None:
        from accord.system import FeedFollower

        follower = FeedFollower(self._urls, poll_interval_s=_POLL_MS / 1000, from_end=True)
        try:
            follower.poll_located(0)  # marks where each feed ends now, before returning
        except BaseException:
            follower.close()
            raise
        self._follower = follower
        super().start()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        from accord.events import Location, dead_letter_event, is_dead_lettered

        follower = self._follower
        try:
            while not self._stop_event.is_set():
                undecodable = follower.undecodable
                found = follower.poll_located(_POLL_MS / 1000)
                kept: list[tuple[Recorded, list[EventProblem]]] = []
                for event, where in found:
                    key = event.get("partitionkey")
                    key = str(key) if key is not None else None
                    location = Location(where, key=key)
                    if is_dead_lettered(event):
                        # A poller's dead letter (its /dead-letters feed): the original was
                        # validated where it was read; this says which event failed and why.
                        event = dead_letter_event(event, where)
                        problems = []
                    else:
                        problems = self.owner._validate(event, None, where)
                    kept.append((Recorded(event, location, time.monotonic()), problems))
                for _ in range(follower.undecodable - undecodable):
                    where = Location(",".join(self._urls))
                    problem = EventProblem(
                        str(where), "(not a CloudEvent)", "-", None, "", "an entry without one"
                    )
                    kept.append((Recorded({"type": None}, where, time.monotonic()), [problem]))
                # poll_located returns after a complete round of GETs: the feeds are read to
                # the heads they had when the round began.
                self.caught_up = True
                self.cycles += 1
                if kept:
                    self.owner._keep(kept)
                else:
                    self.owner._notify()
        except BaseException as exc:  # surfaced to the test by the owner
            self.error = exc
            self.owner._notify()
        finally:
            follower.close()
