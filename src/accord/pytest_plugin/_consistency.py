"""The ``accord_consistency`` fixture: SLA expectations checked with the engine's semantics.

During a test the check collects trigger events (``order.accepted``) and the events expected
to follow them, from the event recorder and from :meth:`ConsistencyCheck.add`, and the
dead letters of the recorded topics (``<topic>.dlq``). At the end (or at
:meth:`ConsistencyCheck.assert_consistent`) it waits until every trigger either has all its
expected events, was dead-lettered, or is past its limit, then runs :class:`accord.
consistency.ConsistencyEngine` over what it saw as a complete history (a key without a
match is missing) and fails the test on any violation, naming the key, the event type, how
late it was and what the limit was. A test that decided nothing (no trigger) fails too.
With :meth:`ConsistencyCheck.track`, the orders a client saw accepted are reconciled: one
without a trigger is ``untriggered``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from accord.errors import UsageError, ViolationError

if TYPE_CHECKING:
    from accord.pytest_plugin._recorder import EventRecorder

__all__ = ["ConsistencyCheck", "SLAViolationError"]

DEFAULT_TRIGGER = "order.accepted"
#: After the last limit has passed, how long to keep reading for events still in flight.
_GRACE_S = 0.5


def patience_for(limit_s: float) -> float:
    """How long past a limit to keep waiting, so a straggler counts as late, not missing.

    The limit itself, but at least 5 s and at most 30 s: a failing test then says how late
    an event was instead of only that it had not come yet.
    """
    return min(max(limit_s, 5.0), 30.0)


#: At most this many violations are listed in a failure message.
_MAX_LISTED = 20


def _seconds(value: float | str) -> float:
    if isinstance(value, str):
        from accord._durations import parse_duration

        return parse_duration(value)
    return float(value)


def _fmt(seconds: float, apart_from: float | None = None) -> str:
    from accord._durations import format_duration

    return format_duration(seconds, apart_from=apart_from)


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class SLAViolationError(ViolationError):
    """The events of a test broke an SLA expectation.

    Attributes:
        report: the engine's report dict (``report.json`` shape).
        violations: the report's violations, each with ``kind``, ``type``, ``key``, ``detail``.
    """

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        self.report = dict(report)
        self.violations = list(report.get("violations", []))
        super().__init__(message)

    __module__ = "accord.pytest_plugin"


class ConsistencyCheck:
    """Collects triggers and expected events during a test and checks the SLA.

    Args:
        recorder: the test's event recorder; its events are checked.
        limits: configured SLA limits by event type (ini, ``--accord-sla``, marker), seconds.
        trigger: the event type that starts the clock for each key.
        wall_clock: current wall-clock time (aware datetime), injected for tests.
        monotonic: a monotonic clock in seconds.
    """

    def __init__(
        self,
        recorder: EventRecorder | None,
        limits: Mapping[str, float],
        *,
        trigger: str = DEFAULT_TRIGGER,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._recorder = recorder
        self.limits: dict[str, float] = dict(limits)
        self.trigger = trigger
        self._explicit: dict[str, float] = {}
        self._added: list[dict[str, Any]] = []
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self.report: dict[str, Any] | None = None
        self.asserted = False
        self.kept = False  # added to the session summary already
        self.events_checked: list[dict[str, Any]] = []
        self.until: datetime | None = None
        self.accepted_checked: dict[str, datetime | None] = {}
        # (client, how many ids it had accepted when tracking started)
        self._tracked: list[tuple[Any, int]] = []
        self._noticed: dict[str, datetime] = {}

    @property
    def transport(self) -> str:
        """``kafka`` or ``atom``: how the checked events were read."""
        return self._recorder.transport if self._recorder is not None else "kafka"

    # -- what the test says ----------------------------------------------------------------
    def expect(
        self,
        event_type: str,
        within: float | str | None = None,
        *,
        default: float | str | None = None,
    ) -> ConsistencyCheck:
        """Expect exactly one ``event_type`` per trigger key within a limit.

        Args:
            event_type: e.g. ``invoice.created``.
            within: the limit (seconds or ``"5s"``); takes precedence over configuration.
            default: the limit when neither ``within`` nor the configuration
                (``--accord-sla``, ini ``accord_sla``, the ``accord_sla`` marker) gives one.
        """
        if within is not None:
            self._explicit[event_type] = _seconds(within)
        elif event_type in self.limits:
            self._explicit[event_type] = self.limits[event_type]
        elif default is not None:
            self._explicit[event_type] = _seconds(default)
        else:
            raise UsageError(
                f"no SLA limit for {event_type}: pass within=..., --accord-sla "
                f"{event_type}=DURATION, or @pytest.mark.accord_sla(**{{{event_type!r}: '60s'}})"
            )
        return self

    def record(self, *topics: str) -> ConsistencyCheck:
        """Record these topics (through ``accord_events``) for the check, and their dead-letter
        topics (``<topic>.dlq``): an event a consumer dead-lettered fails the check at once."""
        from accord.events import DLQ_SUFFIX

        if self._recorder is None:
            raise UsageError("accord_consistency has no event recorder to record topics with")
        dead = [t + DLQ_SUFFIX for t in topics if not t.endswith(DLQ_SUFFIX)]
        if self._recorder.transport == "atom":
            # Atom pollers serve their dead letters as feeds (``/dead-letters``); record
            # those that ``accord_feeds`` names (``order.dlq``), if any.
            dead = [t for t in dead if self._recorder.has_feed(t)]
        self._recorder.record(*topics, *dead)
        return self

    def track(self, client: Any) -> ConsistencyCheck:
        """Reconcile with the orders ``client`` sees accepted from now on.

        ``client.accepted`` lists them (an :class:`accord.system.OrderClient` keeps every
        :class:`~accord.system.PlacedOrder` it got a 201 for): at the end each must have a
        trigger, else the check fails with an ``untriggered`` violation naming the order.
        """
        self._tracked.append((client, len(client.accepted)))
        return self

    def _accepted(self) -> dict[str, datetime | None]:
        out: dict[str, datetime | None] = {}
        for client, start in self._tracked:
            for order in list(client.accepted)[start:]:
                key = getattr(order, "order_id", order)
                out.setdefault(str(key), _parse_time(getattr(order, "accepted_at", None)))
        return out

    def add(self, *events: Mapping[str, Any]) -> None:
        """Add events the recorder does not see (e.g. read over HTTP)."""
        self._added += [dict(e) for e in events]

    @property
    def sources(self) -> list[str]:
        """Where the check's events come from, for the report's ``origin``."""
        out = []
        recorder = self._recorder
        if recorder is not None and recorder.topics and recorder.transport == "atom":
            out.append(",".join("atom+" + recorder._feed_url(t) for t in recorder.topics))
        elif recorder is not None and recorder.topics:
            broker = getattr(recorder, "_broker", None)
            address = getattr(broker, "bootstrap_servers", "") if broker is not None else ""
            out.append(f"kafka://{address}/{','.join(recorder.topics)}")
        if self._added:
            out.append("events added with accord_consistency.add()")
        return out

    @property
    def expectations(self) -> dict[str, float]:
        """Every expected event type with its limit in seconds."""
        merged = dict(self.limits)
        merged.update(self._explicit)
        return merged

    # -- checking --------------------------------------------------------------------------
    def _events(self) -> list[dict[str, Any]]:
        recorded = self._recorder.events if self._recorder is not None else []
        return [*recorded, *self._added]

    def _settled(self, events: list[dict[str, Any]], expectations: Mapping[str, float]) -> bool:
        """True once every trigger key has every expected type, was dead-lettered, or is past
        limit and patience; and every tracked accepted order has a trigger or is past the
        largest limit."""
        from accord.events import DEAD_LETTER_TYPE

        starts: dict[str, datetime] = {}
        seen: dict[str, set[str]] = {}
        dead: set[str] = set()
        for event in events:
            key = event.get("partitionkey")
            if not isinstance(key, str):
                continue
            if event.get("type") == DEAD_LETTER_TYPE:
                dead.add(key)
            elif event.get("type") == self.trigger:
                moment = _parse_time(event.get("time"))
                if moment is not None and (key not in starts or moment < starts[key]):
                    starts[key] = moment
            elif event.get("type") in expectations:
                seen.setdefault(key, set()).add(str(event["type"]))
        now = self._wall_clock()
        longest = max(expectations.values())
        for key, accepted_at in self._accepted().items():
            if key in starts or key in dead:
                continue
            # An accepted order's trigger comes before any expected event could: wait for
            # it at most the largest limit from its acceptance (or from when it was seen).
            since = self._noticed.setdefault(key, accepted_at or now)
            if (now - since).total_seconds() < longest + _GRACE_S:
                return False
        for key, start in starts.items():
            if key in dead:  # decided: a consumer rejected it
                continue
            for event_type, limit in expectations.items():
                if event_type in seen.get(key, ()):
                    continue
                if (now - start).total_seconds() < limit + patience_for(limit) + _GRACE_S:
                    return False
        return True

    def assert_consistent(
        self, *, settle: bool = True, timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Check the SLA over the events so far; raise :class:`SLAViolationError` if broken.

        Args:
            settle: first wait until every trigger has all its expected events, or until its
                limit plus :func:`patience_for` the limit has passed (so a late event is
                reported as late, with how late, rather than as missing).
            timeout_s: wait at most this long while settling (default: the largest limit
                plus its patience plus 30 s).

        Returns:
            The engine's report (``report.json`` shape).
        """
        __tracebackhide__ = True
        from accord.consistency import ConsistencyEngine, Expectation

        expectations = self.expectations
        if not expectations:
            raise UsageError(
                "accord_consistency has no expectations: call accord_consistency.expect(TYPE, "
                "within=...), pass --accord-sla TYPE=DURATION or set accord_sla in the ini file"
            )
        if settle:
            self._settle(expectations, timeout_s)
        events = self._events()
        topics = self._recorder.topics if self._recorder is not None else []
        if not events and not topics:
            raise UsageError(
                f"accord_consistency saw no {self.trigger} event: nothing to check; record the "
                "topics with accord_events.record(...) (or the accord_topics ini key) and "
                "trigger something"
            )
        engine = ConsistencyEngine(
            trigger=self.trigger,
            expectations=[Expectation(t, within_s=s) for t, s in expectations.items()],
        )
        for event in events:
            engine.add(event)
        self.until = self._wall_clock()
        accepted = self._accepted()
        # After settling, what was recorded is the test's whole history: the window is closed.
        report: dict[str, Any] = engine.report(
            until=self.until, complete=settle, accepted=accepted if self._tracked else None
        )
        self.report = report
        self.asserted = True
        self.events_checked = events
        self.accepted_checked = accepted
        if report.get("verdict") == "nothing_decided" or not report.get("triggers"):
            # No trigger explains everything else (orphans of a renamed trigger type): first.
            message = self._nothing_decided(report, topics)
            if report.get("violations"):
                message += "\n" + self._explain(report, events, expectations)
            raise SLAViolationError(message, report)
        if not report.get("consistent", True):
            raise SLAViolationError(self._explain(report, events, expectations), report)
        return report

    def _nothing_decided(self, report: Mapping[str, Any], topics: list[str]) -> str:
        from accord.consistency import read_summary

        types_read = report.get("types_read") or {}
        where = f" (recording {', '.join(topics)})" if topics else ""
        if int(report.get("triggers") or 0) == 0:
            if not types_read:
                return (
                    f"NOTHING DECIDED: recorded no event{where}, no {self.trigger}: did the "
                    "test trigger anything?"
                )
            summary = read_summary(types_read, counts=True)
            return f"NOTHING DECIDED: read {summary}, no {self.trigger}{where}"
        return f"NOTHING DECIDED: {report.get('nothing_decided')}"

    def _settle(self, expectations: Mapping[str, float], timeout_s: float | None) -> None:
        longest = max(expectations.values())
        limit = timeout_s if timeout_s is not None else longest + patience_for(longest) + 30.0
        deadline = self._monotonic() + limit
        while True:
            if self._recorder is not None:
                self._recorder.drain()
            if self._settled(self._events(), expectations):
                return
            if self._monotonic() >= deadline:
                return
            if self._recorder is not None:
                self._recorder.wait_changed(0.2)
            else:
                time.sleep(0.05)

    def _explain(
        self,
        report: Mapping[str, Any],
        events: list[dict[str, Any]],
        expectations: Mapping[str, float],
    ) -> str:
        starts: dict[str, datetime] = {}
        firsts: dict[tuple[str, str], datetime] = {}
        for event in events:
            key = event.get("partitionkey")
            moment = _parse_time(event.get("time"))
            if not isinstance(key, str) or moment is None:
                continue
            kind = str(event.get("type"))
            if kind == self.trigger:
                if key not in starts or moment < starts[key]:
                    starts[key] = moment
            elif (key, kind) not in firsts or moment < firsts[(key, kind)]:
                firsts[(key, kind)] = moment

        violations = list(report.get("violations", []))
        triggers = int(report.get("triggers") or 0)
        # Orphans and untriggered orders are not trigger keys: "400 of 200 keys" says nothing.
        bad_keys = {
            str(v.get("key"))
            for v in violations
            if v.get("kind") not in ("orphaned", "untriggered")
        }
        lines: list[str] = []
        # The first line names the cause a person fixes: a consumer that rejected the
        # events, events keyed by something else, accepted orders that never got a trigger.
        dead = [v for v in violations if v.get("kind") == "dead_lettered"]
        if dead:
            lines.append(
                f"{len(dead)} {dead[0].get('type')} event{'s' if len(dead) != 1 else ''} "
                f"dead-lettered by a consumer: {dead[0].get('reason')}"
            )
        lines += [
            str(w.get("detail"))
            for w in report.get("warnings", [])
            if w.get("kind") == "key_mismatch"
        ]
        untriggered = int(report.get("untriggered") or 0)
        if untriggered:
            lines.append(
                f"{untriggered} of {report.get('accepted')} accepted orders have no "
                f"{self.trigger} event"
            )
        if bad_keys:
            lines.append(
                f"SLA broken: {len(bad_keys)} of {triggers} {self.trigger} keys have "
                f"violations ({_counts(violations)})"
            )
        else:
            lines.append(f"SLA broken: {_counts(violations)}")
        width_kind = max((len(str(v.get("kind"))) for v in violations), default=4)
        width_type = max((len(str(v.get("type"))) for v in violations), default=4)
        for violation in violations[:_MAX_LISTED]:
            kind = str(violation.get("kind"))
            event_type = str(violation.get("type"))
            key = str(violation.get("key"))
            limit = expectations.get(event_type)
            detail = _detail(kind, key, event_type, limit, starts, firsts, self.until)
            if not detail:
                detail = str(violation.get("detail", ""))
            lines.append(f"  {kind:<{width_kind}}  {event_type:<{width_type}}  key {key}: {detail}")
        if len(violations) > _MAX_LISTED:
            lines.append(f"  ... and {len(violations) - _MAX_LISTED} more")
        return "\n".join(lines)


def _counts(violations: list[Mapping[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for violation in violations:
        kind = str(violation.get("kind"))
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())


def _detail(
    kind: str,
    key: str,
    event_type: str,
    limit: float | None,
    starts: Mapping[str, datetime],
    firsts: Mapping[tuple[str, str], datetime],
    until: datetime | None,
) -> str:
    start = starts.get(key)
    first = firsts.get((key, event_type))
    if kind == "late" and start is not None and first is not None and limit is not None:
        took = (first - start).total_seconds()
        return f"took {_fmt(took, limit)}, limit {_fmt(limit)} ({_fmt(took - limit)} late)"
    if kind == "missing" and limit is not None:
        waited = ""
        if start is not None and until is not None:
            waited = f", none after {_fmt((until - start).total_seconds())}"
        return f"no {event_type} (limit {_fmt(limit)}{waited})"
    return ""
