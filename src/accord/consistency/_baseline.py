"""Regressions against an earlier report (``accord audit --baseline OLD.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord._durations import format_duration

__all__ = ["P99_FLOOR_S", "VIOLATION_COUNTS", "regressions"]

#: Per expectation counters whose increase is a regression.
VIOLATION_COUNTS = ("late", "missing", "duplicated", "orphaned", "mismatched")
#: p99 differences below this many seconds are noise, whatever the relative tolerance says
#: (a baseline p99 of 0 would otherwise make any latency a regression).
P99_FLOOR_S = 0.001


def regressions(
    report: Mapping[str, Any], baseline: Mapping[str, Any], *, p99_tolerance: float = 0.10
) -> list[dict[str, Any]]:
    """What got worse since ``baseline``.

    A regression is a violation count that went up (``duplicate_triggers`` or, per
    expectation, ``late``, ``missing``, ``duplicated``, ``orphaned``, ``mismatched``), or a
    p99 latency more than ``p99_tolerance`` (relative) and more than 1 ms above the
    baseline's. Expectations the baseline does not have are not compared.

    Returns:
        One dict per regression: ``kind`` (``count`` or ``p99``), ``type``, ``field``,
        ``baseline``, ``current`` and a one-line ``detail``.
    """
    out: list[dict[str, Any]] = []
    trigger = str(report.get("trigger"))
    old_dup = int(baseline.get("duplicate_triggers", 0))
    new_dup = int(report.get("duplicate_triggers", 0))
    if new_dup > old_dup:
        out.append(_count(trigger, "duplicate_triggers", old_dup, new_dup))
    old_expectations = baseline.get("expectations") or {}
    for type_, stats in (report.get("expectations") or {}).items():
        old = old_expectations.get(type_)
        if not isinstance(old, Mapping):
            continue
        for field in VIOLATION_COUNTS:
            before, now = int(old.get(field, 0)), int(stats.get(field, 0))
            if now > before:
                out.append(_count(type_, field, before, now))
        old_lat, new_lat = old.get("latency_s") or {}, stats.get("latency_s") or {}
        if int(old_lat.get("count", 0)) and int(new_lat.get("count", 0)):
            before_p99, now_p99 = float(old_lat.get("p99", 0)), float(new_lat.get("p99", 0))
            if now_p99 > before_p99 * (1 + p99_tolerance) and now_p99 - before_p99 > P99_FLOOR_S:
                out.append(
                    {
                        "kind": "p99",
                        "type": type_,
                        "field": "p99",
                        "baseline": before_p99,
                        "current": now_p99,
                        "detail": f"{type_} p99 {format_duration(now_p99)}, "
                        f"baseline {format_duration(before_p99)} "
                        f"(tolerance {p99_tolerance:.0%})",
                    }
                )
    return out


def _count(type_: str, field: str, before: int, now: int) -> dict[str, Any]:
    return {
        "kind": "count",
        "type": type_,
        "field": field,
        "baseline": before,
        "current": now,
        "detail": f"{type_} {field} {before} -> {now}",
    }
