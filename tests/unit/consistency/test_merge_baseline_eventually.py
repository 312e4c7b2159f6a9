"""Merging partial reports, regressions against a baseline, and eventually()."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from accord.consistency import (
    ConsistencyEngine,
    EventuallyError,
    Expectation,
    eventually,
    merge_reports,
    regressions,
)
from accord.errors import UsageError, ViolationError

pytestmark = pytest.mark.unit

ORDER, INVOICE = "order.accepted", "invoice.created"


def _report(events: list[dict[str, Any]], partial: bool = True) -> dict[str, Any]:
    engine = ConsistencyEngine(ORDER, [Expectation(INVOICE, 60.0)])
    for event in events:
        engine.add(event)
    return engine.report(partial=partial)


def test_a_pending_key_of_one_partial_is_missing_at_the_merged_window_end(kit: Any) -> None:
    ev, T = kit.ev, kit.T
    first = _report([ev(ORDER, "o1", "a", T("00:00:00"))])  # its window end is its T0
    second = _report([ev(ORDER, "o2", "b", T("00:05:00")), ev(INVOICE, "i2", "b", T("00:05:01"))])
    assert first["expectations"][INVOICE]["pending"] == 1
    assert first["expectations"][INVOICE]["pending_keys"] == [
        {"key": "a", "trigger_time": "2026-01-01T00:00:00.000000Z"}
    ]
    merged = merge_reports([first, second])
    invoice = merged["expectations"][INVOICE]
    assert (invoice["ok"], invoice["missing"], invoice["pending"]) == (1, 1, 0)
    assert merged["window_end"] == "2026-01-01T00:05:01.000000Z"
    assert [(v["kind"], v["key"]) for v in merged["violations"]] == [("missing", "a")]
    assert invoice["consistent_within"]["1min"] == 0.5
    assert invoice["latency_exact"] is True
    assert merged["merged_from"] == 2 and merged["consistent"] is False
    assert "latencies_s" not in invoice


def _two_ordinary_reports(kit: Any) -> list[dict[str, Any]]:
    ev, T = kit.ev, kit.T
    parts = []
    for part, delays in enumerate(([1, 2, 3], [10, 20, 30, 40])):
        events = []
        for n, delay in enumerate(delays):
            key = f"{part}-{n}"
            events.append(ev(ORDER, f"o{key}", key, T("00:00:00")))
            events.append(ev(INVOICE, f"i{key}", key, T(f"00:00:{delay:02d}")))
        parts.append(_report(events, partial=False))
    return parts


def test_ordinary_reports_merge_exactly_from_the_latency_counts_they_carry(kit: Any) -> None:
    parts = _two_ordinary_reports(kit)
    assert parts[0]["expectations"][INVOICE]["latency_counts"] == {
        "values_us": [1_000_000, 2_000_000, 3_000_000], "counts": [1, 1, 1]
    }
    stats = merge_reports(parts)["expectations"][INVOICE]
    # exact over [1, 2, 3, 10, 20, 30, 40]
    assert stats["latency_s"] == {
        "count": 7, "p50": 10.0, "p90": 40.0, "p95": 40.0, "p99": 40.0, "max": 40.0
    }
    assert stats["latency_exact"] is True and "latency_error" not in stats
    seconds = (1, 2, 3, 10, 20, 30, 40)
    assert stats["latency_counts"]["values_us"] == [s * 1_000_000 for s in seconds]


def test_merge_without_latencies_estimates_quantiles_and_says_so(kit: Any) -> None:
    parts = _two_ordinary_reports(kit)
    for part in parts:  # an older report, or one with more than EXACT_DISTINCT latencies
        del part["expectations"][INVOICE]["latency_counts"]
    merged = merge_reports(parts)
    latency = merged["expectations"][INVOICE]["latency_s"]
    # exact over [1, 2, 3, 10, 20, 30, 40]: p50 = 10, p99 = max = 40
    assert latency["count"] == 7 and latency["max"] == 40.0
    assert abs(latency["p50"] - 10.0) <= 1.23
    assert latency["p99"] <= 40.0 and abs(latency["p99"] - 40.0) <= 40 * 0.123
    stats = merged["expectations"][INVOICE]
    assert stats["latency_exact"] is False and "latency_counts" not in stats
    assert "within 12.3%" in stats["latency_error"]
    assert stats["consistent_within"]["1min"] == 1.0 and stats["ok"] == 7


def test_merging_different_audits_is_a_usage_error(kit: Any) -> None:
    a = _report([])
    b = ConsistencyEngine(ORDER, [Expectation(INVOICE, 30.0)]).report()
    with pytest.raises(UsageError, match="same audit"):
        merge_reports([a, b])
    with pytest.raises(UsageError, match="no reports"):
        merge_reports([])


def _stats(**over: Any) -> dict[str, Any]:
    stats: dict[str, Any] = dict.fromkeys(
        ("ok", "late", "missing", "duplicated", "orphaned", "mismatched"), 0
    )
    stats["latency_s"] = {"count": 10, "p99": 1.0}
    stats.update(over)
    return stats


def _with(**over: Any) -> dict[str, Any]:
    return {"trigger": ORDER, "duplicate_triggers": 0, "expectations": {INVOICE: _stats(**over)}}


def test_regressions_count_increases_and_p99_beyond_tolerance() -> None:
    baseline = _with(late=1)
    assert regressions(_with(late=1), baseline) == []
    assert regressions(_with(late=0), baseline) == []
    (more,) = regressions(_with(late=2), baseline)
    assert (more["kind"], more["field"], more["baseline"], more["current"]) == (
        "count", "late", 1, 2
    )
    assert regressions(_with(late=1, latency_s={"count": 10, "p99": 1.1}), baseline) == []
    (slower,) = regressions(_with(late=1, latency_s={"count": 10, "p99": 1.2}), baseline)
    assert slower["kind"] == "p99" and "tolerance 10%" in slower["detail"]
    assert regressions(
        _with(late=1, latency_s={"count": 10, "p99": 1.2}), baseline, p99_tolerance=0.25
    ) == []
    worse_triggers = dict(_with(late=1), duplicate_triggers=3)
    assert [r["field"] for r in regressions(worse_triggers, baseline)] == ["duplicate_triggers"]


def test_eventually_returns_the_first_truthy_value() -> None:
    calls = itertools.count(1)

    def third_time() -> int:
        n = next(calls)
        assert n >= 3, f"only {n} calls"
        return n

    assert eventually(third_time, within=5, interval=0.001) == 3


def test_eventually_fails_with_the_last_value_and_the_deadline() -> None:
    values = iter(range(100_000))
    with pytest.raises(EventuallyError) as caught:
        eventually(lambda: [] if next(values) < 10**9 else [1], within="50ms", interval="10ms",
                   message="invoice for order 42")
    error = caught.value
    assert isinstance(error, ViolationError) and isinstance(error, AssertionError)
    text = str(error)
    assert text.startswith("invoice for order 42: not true within 50ms (deadline 20")
    assert "last value observed: []" in text
    assert error.attempts >= 2 and error.within_s == 0.05


def test_eventually_reports_the_last_exception() -> None:
    def refuse() -> None:
        raise ConnectionError("refused")

    with pytest.raises(EventuallyError, match="last attempt raised ConnectionError: refused"):
        eventually(refuse, within=0.05, interval=0.01)
