"""Merging partial reports of auditors that split a consumer group's partitions.

Partitions are split by key (co-partitioned topics: same key, same partition number), so no
key appears in two partials and every count adds up exactly. A pending key may have become
missing at the merged window end; partial reports list pending keys with their T0 so the
merge decides them again exactly. Quantiles are exact when every partial carries its
latencies (``latencies_s`` of ``accord audit --partial``, or the ``latency_counts`` of an
ordinary report with at most ``EXACT_DISTINCT`` distinct latencies) or when only one partial
matched anything (merging a single report keeps its figures); otherwise they are estimated
from the histograms within the error the merged report states (``latency_exact: false``,
``latency_error``), and every view marks them as estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from accord._durations import format_duration
from accord.consistency._model import parse_time
from accord.consistency._stats import (
    HISTOGRAM_ERROR,
    WITHIN,
    histogram,
    histogram_buckets,
    histogram_quantiles,
    latency_counts,
    latency_values,
    merge_histograms,
    quantiles,
    sorted_latencies,
    within_counts,
)
from accord.consistency._verdict import judge
from accord.consistency._violations import _violation, _violation_order
from accord.errors import UsageError
from accord.events import rfc3339

__all__ = ["merge_reports"]

_SUMMED = (
    "ok", "late", "missing", "duplicated", "orphaned", "redelivered", "clock_skew", "mismatched",
)


def merge_reports(
    reports: Sequence[Mapping[str, Any]],
    *,
    until: datetime | None = None,
    partial: bool = False,
    allow_empty: bool = False,
    fail_on_pending: bool = False,
) -> dict[str, Any]:
    """Combine partial reports of one audit into the report of the whole.

    Args:
        reports: reports of the same trigger and expectations (from ``report(partial=True)``
            for exact quantiles and pending decisions).
        until: window end of the merged report; by default the latest partial window end.
        partial: keep ``latencies_s`` and ``pending_keys`` so the result can be merged again.
        allow_empty, fail_on_pending: as for :meth:`ConsistencyEngine.report`.

    Returns:
        A report in the same shape, with ``merged_from`` (how many partials) and, per
        expectation, ``latency_exact`` (and ``latency_error`` when estimated).

    Raises:
        UsageError: when there is nothing to merge or the partials audit different things.
    """
    if not reports:
        raise UsageError("no reports to merge: give the partial report.json files")
    first = reports[0]
    trigger = first.get("trigger")
    limits = {t: s.get("within_s") for t, s in (first.get("expectations") or {}).items()}
    for number, report in enumerate(reports[1:], 2):
        other = {t: s.get("within_s") for t, s in (report.get("expectations") or {}).items()}
        if report.get("trigger") != trigger or other != limits:
            raise UsageError(
                f"report {number} audits {report.get('trigger')!r} with {other}, but report 1 "
                f"audits {trigger!r} with {limits}: merge partials of the same audit only"
            )
    ends = [parse_time(r["window_end"]) for r in reports if r.get("window_end")]
    end = until if until is not None else (max(ends) if ends else None)
    violations: list[dict[str, Any]] = [dict(v) for r in reports for v in r.get("violations", [])]
    expectations: dict[str, Any] = {}
    for type_, within_s in limits.items():
        parts = [r["expectations"][type_] for r in reports]
        stats: dict[str, Any] = {"within_s": within_s}
        for name in _SUMMED:
            stats[name] = sum(int(p.get(name, 0)) for p in parts)
        pending = 0
        still_pending: list[dict[str, Any]] = []
        deadlines: list[datetime] = []
        limit = timedelta(microseconds=round(float(within_s) * 1_000_000))
        for p in parts:
            if "pending_keys" not in p:
                pending += int(p.get("pending", 0))
                if p.get("pending_deadline"):
                    deadlines.append(parse_time(p["pending_deadline"]))
                continue
            for item in p["pending_keys"]:
                t0 = parse_time(item["trigger_time"])
                if end is not None and end >= t0 + limit:
                    stats["missing"] += 1
                    violations.append(
                        _violation(
                            "missing", type_, item["key"], t0,
                            f"no {type_} within {format_duration(float(within_s))} of {trigger} at "
                            f"{rfc3339(t0)}",
                        )
                    )
                else:
                    pending += 1
                    still_pending.append(item)
                    deadlines.append(t0 + limit)
        stats["pending"] = pending
        # Keep the engine's key order, so a merged report reads like a single one.
        ordered: dict[str, Any] = {"within_s": within_s}
        for name in ("ok", "late", "missing", "pending", *_SUMMED[3:]):
            ordered[name] = stats[name]
        stats = ordered
        decided = stats["ok"] + stats["late"] + stats["missing"]
        exact = all("latencies_s" in p or "latency_counts" in p for p in parts)
        # Only one partial has latencies (one report merged, or the others matched nothing):
        # its own figures are the merged ones, as exact as they were.
        matched = [p for p in parts if int((p.get("latency_s") or {}).get("count", 0)) > 0]
        alone = matched[0] if len(matched) == 1 else parts[0] if not matched else None
        error: str | None = None
        if exact:
            values = sorted_latencies(*(_latencies_us(p) for p in parts))
            stats["latency_s"] = quantiles(values)
            within = within_counts(values)
            stats["histogram"] = histogram(values)
        elif alone is not None:
            stats["latency_s"] = dict(alone.get("latency_s") or quantiles([]))
            within = _summed_within(parts)
            stats["histogram"] = dict(alone.get("histogram") or histogram([]))
            if alone.get("latency_exact") is False:
                error = str(alone.get("latency_error") or HISTOGRAM_ERROR)
        else:
            buckets = [histogram_buckets(p.get("histogram") or {}) for p in parts]
            total: dict[int, int] = {}
            for b in buckets:
                for k, v in b.items():
                    total[k] = total.get(k, 0) + v
            max_s = max((float(p.get("latency_s", {}).get("max", 0)) for p in parts), default=0)
            stats["latency_s"] = histogram_quantiles(total, max_s)
            within = _summed_within(parts)
            stats["histogram"] = merge_histograms(buckets)
            error = HISTOGRAM_ERROR
        histogram_of_merge = stats.pop("histogram")
        stats["consistent_within"] = {
            label: (within[label] / decided if decided else 1.0) for label, _ in WITHIN
        }
        stats["histogram"] = histogram_of_merge
        stats["decided"] = decided
        stats["within_counts"] = within
        stats["pending_deadline"] = rfc3339(min(deadlines)) if deadlines else None
        if exact and not partial:
            carried = latency_counts(values)
            if carried is not None:
                stats["latency_counts"] = carried
        stats["latency_exact"] = error is None
        if error is not None:
            stats["latency_error"] = error
        if partial:
            if exact:
                stats["latencies_s"] = [us / 1_000_000 for us in values]
            stats["pending_keys"] = sorted(
                still_pending, key=lambda i: (i["trigger_time"], i["key"])
            )
        expectations[type_] = stats
    violations.sort(key=_violation_order)
    merged: dict[str, Any] = {
        "trigger": trigger,
        "window_end": rfc3339(end) if end is not None else None,
        "triggers": sum(int(r.get("triggers", 0)) for r in reports),
        "duplicate_triggers": sum(int(r.get("duplicate_triggers", 0)) for r in reports),
        "expectations": expectations,
        "violations": violations,
        "consistent": not violations,
        "events": sum(int(r.get("events", 0)) for r in reports),
        "redelivered_triggers": sum(int(r.get("redelivered_triggers", 0)) for r in reports),
        "lateness_s": _lateness(reports),
        "beyond_lateness": sum(int(r.get("beyond_lateness", 0)) for r in reports),
        "complete": all(bool(r.get("complete")) for r in reports),
        "types_read": _types_read(reports, trigger, list(limits)),
        "dead_lettered": sum(int(r.get("dead_lettered") or 0) for r in reports),
        "untriggered": sum(int(r.get("untriggered") or 0) for r in reports),
        "accepted": _accepted(reports),
        "merged_from": len(reports),
    }
    if partial:
        merged["partial"] = True
    judged = judge(merged, allow_empty=allow_empty, fail_on_pending=fail_on_pending)
    # A partial that could not vouch for its events makes the merge incomplete too.
    reasons = [str(r) for report in reports for r in report.get("incomplete") or ()]
    if reasons:
        judged["incomplete"] = list(dict.fromkeys(reasons))
        judged["consistent"] = False
        if "verdict" in judged:
            judged["verdict"] = "not_consistent"
    return judged


def _types_read(
    reports: Sequence[Mapping[str, Any]], trigger: Any, expected: list[str]
) -> dict[str, int]:
    """Summed ``types_read``: the trigger and expected types first, as the engine lists them."""
    out: dict[str, int] = dict.fromkeys([str(trigger), *expected], 0)
    for report in reports:
        for type_, count in (report.get("types_read") or {}).items():
            out[type_] = out.get(type_, 0) + int(count)
    return {type_: count for type_, count in out.items() if count}


def _accepted(reports: Sequence[Mapping[str, Any]]) -> int | None:
    """Accepted ids reconciled, summed; None when no partial reconciled."""
    values: list[int] = [int(r["accepted"]) for r in reports if r.get("accepted") is not None]
    return sum(values) if values else None


def _latencies_us(part: Mapping[str, Any]) -> list[int]:
    """A partial's latencies in microseconds, from ``latencies_s`` or ``latency_counts``."""
    if "latencies_s" in part:
        return [round(s * 1_000_000) for s in part["latencies_s"]]
    return latency_values(part["latency_counts"])


def _lateness(reports: Sequence[Mapping[str, Any]]) -> float | None:
    """The largest lateness of the partials; None (no finalization) if any had none."""
    values = [r.get("lateness_s") for r in reports]
    numbers = [float(v) for v in values if v is not None]
    return max(numbers) if len(numbers) == len(values) else None


def _summed_within(parts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Within-threshold counts from partials; from fractions when counts are absent."""
    out = dict.fromkeys((label for label, _ in WITHIN), 0)
    for p in parts:
        counts = p.get("within_counts")
        for label, _ in WITHIN:
            if counts is not None:
                out[label] += int(counts.get(label, 0))
            else:
                decided = int(p.get("ok", 0)) + int(p.get("late", 0)) + int(p.get("missing", 0))
                out[label] += round(float(p.get("consistent_within", {}).get(label, 1.0)) * decided)
    return out
