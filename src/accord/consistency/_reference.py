"""The rules of ``docs/consistency.md``, plainly: the report of a whole list of events.

This is the reference the fast engine (:mod:`accord.consistency._engine`) is held to by
property tests on random histories: for any list of events, ``reference_report`` and
``ConsistencyEngine.report`` give the same dict (with ``lateness_s=None``, or a finite
lateness while ``beyond_lateness`` is 0). It keeps every event, looks at each rule once and
is written to be read, not to be fast: nothing of it runs in an audit.

The rules, per trigger key K (the ``partitionkey``, or the value at a ``--key`` pointer):

- T0 is the earliest ``time`` of K's trigger events; the match of an expectation E (limit L)
  is the earliest E-typed event with key K. ``latency = match - T0``, in microseconds.
- ``ok``: latency <= L (a negative latency is ``clock_skew`` and counts as 0); ``late``:
  latency > L; no match: ``missing`` when the window end >= T0 + L or the window is closed
  (``complete``), else ``pending``.
- Events with the same id (per key and type) are one event: the others are ``redelivered``.
  More than one distinct id: ``duplicate_trigger`` (triggers) or ``duplicated`` (per K, E).
- E-typed events of a key without a trigger are ``orphaned``, one per distinct id.
- ``agree`` pairs compare the earliest trigger and the earliest match (ties: smallest id);
  JSON-unequal values are ``mismatched``.
- A dead letter of a trigger or an expected event is ``dead_lettered`` (per type and key,
  the earliest); an ``accepted`` id without a trigger is ``untriggered``.
- The window end is ``until`` or the latest time of any event. ``judge`` decides the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec.json import encode as _dumps

from accord.consistency._model import Expectation, _fmt_s, parse_time, rfc3339
from accord.consistency._pointer import ABSENT, compile_pointer, json_equal, resolve
from accord.consistency._stats import histogram, latency_counts, quantiles, within_counts
from accord.consistency._verdict import judge
from accord.events import DEAD_LETTER_TYPE

__all__ = ["reference_report"]

_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reference_report(
    events: Iterable[Mapping[str, Any]],
    trigger: str,
    expectations: Sequence[Expectation],
    key_pointers: Mapping[str, str] | None = None,
    agree: Iterable[tuple[str, str, str]] | None = None,
    *,
    until: datetime | None = None,
    partial: bool = False,
    complete: bool = False,
    accepted: Mapping[str, datetime | None] | Iterable[str] | None = None,
    allow_empty: bool = False,
    fail_on_pending: bool = False,
) -> dict[str, Any]:
    """The report ``ConsistencyEngine(trigger, expectations, key_pointers, agree,
    lateness_s=None)`` gives for ``events`` (valid CloudEvent dicts)."""
    pointers = dict(key_pointers or {})
    for expectation in expectations:
        if expectation.key_pointer is not None:
            pointers[expectation.type] = expectation.key_pointer
    tracked = [trigger] + [e.type for e in expectations]
    agree = list(agree or ())

    # Read everything: per (type, key) every event; the other types only counted.
    history: dict[tuple[str, str], list[tuple[datetime, Any, Mapping[str, Any]]]] = {}
    read = {type_: 0 for type_ in tracked}
    other: dict[Any, int] = {}
    dead: dict[tuple[str, str], tuple[datetime, str, str]] = {}
    dead_unread = 0
    latest: datetime | None = None
    count = 0
    for event in events:
        count += 1
        type_ = event.get("type")
        if event.get("time") is None:
            other[type_] = other.get(type_, 0) + 1
            continue
        moment = parse_time(event["time"])
        latest = moment if latest is None or moment > latest else latest
        if type_ not in read:
            other[type_] = other.get(type_, 0) + 1
            if type_ == DEAD_LETTER_TYPE:  # what was dead-lettered, if ours: the earliest
                data = event.get("data")
                if not isinstance(data, Mapping):
                    dead_unread += 1  # nothing to read of what was dead-lettered
                elif data.get("type") in tracked:
                    key = _dead_key(event, data, pointers)
                    if key is None:
                        dead_unread += 1
                    else:
                        entry = (moment, str(data.get("reason")),
                                 str(data.get("origin") or data.get("dlq")))
                        lettered = (data["type"], key)
                        if lettered not in dead or entry < dead[lettered]:
                            dead[lettered] = entry
            continue
        read[type_] += 1
        key = _key(event, pointers.get(type_))
        history.setdefault((type_, key), []).append((moment, event["id"], event))
    end = until if until is not None else latest

    def firsts(type_: str, key: str) -> list[datetime]:
        """The earliest time of each distinct id of ``type_`` with ``key``, in order."""
        earliest: dict[Any, datetime] = {}
        for moment, id_, _ in history.get((type_, key), ()):
            if id_ not in earliest or moment < earliest[id_]:
                earliest[id_] = moment
        return sorted(earliest.values())

    def first_event(type_: str, key: str) -> tuple[datetime, Mapping[str, Any]] | None:
        """The earliest event of ``type_`` with ``key`` (ties: the smallest id)."""
        found = history.get((type_, key))
        if not found:
            return None
        moment, _, event = min(found, key=lambda e: (e[0], str(e[1])))
        return moment, event

    keys = sorted({key for _, key in history})
    trigger_keys = [key for key in keys if (trigger, key) in history]
    violations: list[dict[str, Any]] = []

    duplicate_triggers = distinct_triggers = 0
    for key in trigger_keys:
        times = firsts(trigger, key)
        distinct_triggers += len(times)
        if len(times) > 1:
            duplicate_triggers += 1
            violations.append(_violation(
                "duplicate_trigger", trigger, key, times[1],
                f"{len(times)} distinct {trigger} events (ids) for this key",
            ))

    stats: dict[str, Any] = {}
    for expectation in expectations:
        expected = expectation.type
        limit_us = round(expectation.within_s * 1_000_000)
        limit = _fmt_s(limit_us)
        pairs = [(t, m) for type_, t, m in agree if type_ == expected]
        latencies: list[int] = []
        ok = late = missing = pending = skew = mismatched = duplicated = 0
        pending_keys: list[tuple[datetime, str]] = []
        distinct = 0
        for key in trigger_keys:
            t0 = firsts(trigger, key)[0]
            times = firsts(expected, key)
            distinct += len(times)
            if len(times) > 1:
                duplicated += 1
                violations.append(_violation(
                    "duplicated", expected, key, times[1],
                    f"{len(times)} distinct {expected} events (ids) for this key",
                ))
            if not times:
                if end is not None and end - t0 >= timedelta(microseconds=limit_us):
                    missing += 1
                    violations.append(_violation(
                        "missing", expected, key, t0,
                        f"no {expected} within {limit} of {trigger} at {rfc3339(t0)}",
                    ))
                elif complete:
                    missing += 1
                    violations.append(_violation(
                        "missing", expected, key, t0,
                        f"no {expected} by the end of the history ({trigger} at "
                        f"{rfc3339(t0)}, limit {limit})",
                    ))
                else:
                    pending += 1
                    pending_keys.append((t0, key))
                continue
            latency = (times[0] - t0) // _US
            if latency < 0:
                skew += 1
                latency = 0
            if latency > limit_us:
                late += 1
                violations.append(_violation(
                    "late", expected, key, t0,
                    f"{expected} after {_fmt_s(latency, limit_us)} > {limit}",
                    latency_s=latency / 1_000_000, limit_s=limit_us / 1_000_000,
                ))
            else:
                ok += 1
            latencies.append(latency)
            differ = _differences(first_event(trigger, key), first_event(expected, key), pairs)
            if differ:
                mismatched += 1
                violations.append(
                    _violation("mismatched", expected, key, times[0], "; ".join(differ))
                )
        orphaned = 0
        for key in keys:
            if (trigger, key) in history:
                continue
            times = firsts(expected, key)
            distinct += len(times)
            orphaned += len(times)
            for moment in times:
                violations.append(_violation(
                    "orphaned", expected, key, moment,
                    f"{expected} at {rfc3339(moment)} has no {trigger} with this key",
                ))
        latencies.sort()
        decided = ok + late + missing
        within = within_counts(latencies)
        first_pending = min(pending_keys)[0] if pending_keys else None
        stats[expected] = {
            "within_s": float(expectation.within_s),
            "ok": ok,
            "late": late,
            "missing": missing,
            "pending": pending,
            "duplicated": duplicated,
            "orphaned": orphaned,
            "redelivered": read[expected] - distinct,
            "clock_skew": skew,
            "mismatched": mismatched,
            "latency_s": quantiles(latencies),
            "consistent_within": {
                label: (hit / decided if decided else 1.0) for label, hit in within.items()
            },
            "histogram": histogram(latencies),
            "decided": decided,
            "within_counts": within,
            "pending_deadline": _deadline(first_pending, limit_us),
        }
        counts = None if partial else latency_counts(latencies)
        if counts is not None:  # what an exact merge needs (up to EXACT_DISTINCT values)
            stats[expected]["latency_counts"] = counts
        if partial:
            stats[expected]["latencies_s"] = [value / 1_000_000 for value in latencies]
            stats[expected]["pending_keys"] = [
                {"key": key, "trigger_time": rfc3339(t0)} for t0, key in sorted(pending_keys)
            ]

    for (type_, key), (moment, reason, where) in dead.items():
        violations.append(_violation(
            "dead_lettered", type_, key, moment,
            f"a consumer dead-lettered {type_} ({where}): {reason}",
            reason=reason, origin=where,
        ))
    untriggered = 0
    if accepted is not None:
        accepted = accepted if isinstance(accepted, Mapping) else dict.fromkeys(accepted)
        for key, when_accepted in accepted.items():
            if (trigger, str(key)) in history:
                continue
            untriggered += 1
            when = f" at {rfc3339(when_accepted)}" if when_accepted is not None else ""
            violations.append(_violation(
                "untriggered", trigger, str(key), when_accepted or end or _EPOCH,
                f"order {key} was accepted{when} but no {trigger} with this key was read",
            ))

    types_read = dict(read)
    for type_, n in other.items():
        if type_ != DEAD_LETTER_TYPE:
            types_read[str(type_) if type_ is not None else ""] = n
    violations.sort(key=lambda v: (v["time"], v["kind"], v["type"], v["key"]))
    report: dict[str, Any] = {
        "trigger": trigger,
        "window_end": rfc3339(end) if end is not None else None,
        "triggers": len(trigger_keys),
        "duplicate_triggers": duplicate_triggers,
        "expectations": stats,
        "violations": violations,
        "consistent": not violations,
        "events": count,
        "redelivered_triggers": read[trigger] - distinct_triggers,
        "lateness_s": None,
        "beyond_lateness": 0,
        "complete": complete,
        "types_read": {type_: n for type_, n in types_read.items() if n},
        "dead_lettered": len(dead),
        "untriggered": untriggered,
        "accepted": len(accepted) if accepted is not None else None,
    }
    if dead_unread:
        report["dead_letters_unread"] = dead_unread
    if partial:
        report["partial"] = True
    return judge(
        report, allow_empty=allow_empty, fail_on_pending=fail_on_pending, key_types=tuple(pointers)
    )


def _key(event: Mapping[str, Any], pointer: str | None) -> str:
    key = event.get("partitionkey") if pointer is None else resolve(event, compile_pointer(pointer))
    return key if isinstance(key, str) else str(key)


def _dead_key(
    event: Mapping[str, Any], data: Mapping[str, Any], pointers: Mapping[str, str]
) -> str | None:
    """The key of the event a dead letter holds (None: there is none to read)."""
    original, key = data.get("event"), None
    if data["type"] in pointers and isinstance(original, Mapping):
        key = resolve(original, compile_pointer(pointers[data["type"]]))
    if key is None or key is ABSENT:
        key = event.get("partitionkey")
    if key is None or isinstance(key, (dict, list)):
        return None
    return str(key)


def _differences(
    trigger: tuple[datetime, Mapping[str, Any]] | None,
    match: tuple[datetime, Mapping[str, Any]] | None,
    pairs: list[tuple[str, str]],
) -> list[str]:
    out = []
    for trigger_pointer, match_pointer in pairs:
        a = resolve(trigger[1], compile_pointer(trigger_pointer)) if trigger else ABSENT
        b = resolve(match[1], compile_pointer(match_pointer)) if match else ABSENT
        if a is ABSENT and b is ABSENT:
            continue
        if a is not ABSENT and b is not ABSENT and json_equal(a, b):
            continue
        out.append(f"{match_pointer} = {_show(b)} but trigger {trigger_pointer} = {_show(a)}")
    return out


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = _dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."


def _violation(
    kind: str, type_: str, key: str, moment: datetime, detail: str, **extra: Any
) -> dict[str, Any]:
    return {"kind": kind, "type": type_, "key": key, "detail": detail,
            "time": rfc3339(moment), **extra}


def _deadline(t0: datetime | None, limit_us: int) -> str | None:
    if t0 is None:
        return None
    try:
        return rfc3339(t0 + timedelta(microseconds=limit_us))
    except OverflowError:
        return None


