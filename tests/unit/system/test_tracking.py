from __future__ import annotations

from typing import Any

import pytest

from accord.system import ArrivalTracker

pytestmark = pytest.mark.unit


def event(kind: str, key: str, time: str, id: str | None = None) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": id or f"{kind}-{key}", "source": "/test", "type": kind,
        "time": time, "partitionkey": key, "data": {},
    }


def order(tracker: ArrivalTracker, key: str, at: str = "2026-01-01T00:00:00Z") -> None:
    tracker.expect(key)
    tracker.add(event("order.accepted", key, at))


def test_an_order_is_complete_with_acceptance_invoice_and_delivery() -> None:
    tracker = ArrivalTracker()
    order(tracker, "a")
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:00.400Z"))
    assert tracker.complete == 0 and not tracker.all_complete()
    tracker.add(event("delivery.created", "a", "2026-01-01T00:00:01.500+00:00"))
    assert tracker.complete == 1 and tracker.all_complete()
    summary = tracker.summary(within_s=60.0)
    assert summary.ok
    assert summary.arrived == {"invoice.created": 1, "delivery.created": 1}
    assert summary.slowest is not None
    assert (summary.slowest.order_id, summary.slowest.event_type) == ("a", "delivery.created")
    assert summary.slowest.latency_s == pytest.approx(1.5)


def test_missing_and_late_orders_are_named_by_id() -> None:
    tracker = ArrivalTracker()
    for key in ("a", "b", "c"):
        order(tracker, key)
        tracker.add(event("delivery.created", key, "2026-01-01T00:00:00.100Z"))
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:00.200Z"))
    tracker.add(event("invoice.created", "b", "2026-01-01T00:00:05Z"))  # after the 2 s limit
    summary = tracker.summary(within_s=2.0)
    assert not summary.ok
    assert summary.missing == {"c": ["invoice.created"]}
    assert summary.late == {"b": [("invoice.created", 5.0)]}
    assert summary.latency_s["invoice.created"]["max"] == 5.0


def test_events_that_arrive_before_their_order_is_announced_still_count() -> None:
    seen: list[str] = []
    tracker = ArrivalTracker(sink=lambda e: seen.append(e["id"]))
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:01Z"))
    tracker.add(event("order.accepted", "a", "2026-01-01T00:00:00Z"))
    assert seen == []  # not ours yet
    tracker.expect("a")
    tracker.add(event("delivery.created", "a", "2026-01-01T00:00:02Z"))
    assert tracker.all_complete()
    assert seen == ["invoice.created-a", "order.accepted-a", "delivery.created-a"]


def test_events_of_orders_this_run_did_not_place_are_ignored() -> None:
    tracker = ArrivalTracker()
    order(tracker, "mine")
    tracker.add(event("order.accepted", "old", "2025-01-01T00:00:00Z"))
    tracker.add(event("invoice.created", "old", "2025-01-01T00:00:00Z"))
    summary = tracker.summary(within_s=1.0)
    assert summary.orders == 1
    assert summary.missing == {"mine": ["invoice.created", "delivery.created"]}


def test_an_order_without_its_acceptance_event_is_missing_it() -> None:
    tracker = ArrivalTracker()
    tracker.expect("a")
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:01Z"))
    tracker.add(event("delivery.created", "a", "2026-01-01T00:00:01Z"))
    assert not tracker.all_complete()
    assert tracker.summary(1.0).missing == {"a": ["order.accepted"]}


def test_a_redelivered_event_counts_once_and_the_earliest_time_wins() -> None:
    tracker = ArrivalTracker()
    order(tracker, "a")
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:03Z", id="i1"))
    tracker.add(event("invoice.created", "a", "2026-01-01T00:00:01Z", id="i1"))
    assert tracker.arrived["invoice.created"] == 1
    tracker.add(event("delivery.created", "a", "2026-01-01T00:00:00.5Z"))
    assert tracker.summary(60.0).latency_s["invoice.created"]["max"] == 1.0


def test_quantiles_are_nearest_rank() -> None:
    tracker = ArrivalTracker()
    for i in range(1, 11):
        key = f"k{i}"
        order(tracker, key)
        tracker.add(event("invoice.created", key, f"2026-01-01T00:00:{i:02d}Z"))
        tracker.add(event("delivery.created", key, "2026-01-01T00:00:00Z"))
    stats = tracker.summary(60.0).latency_s["invoice.created"]
    assert stats == {"p50": 5.0, "p90": 9.0, "p99": 10.0, "max": 10.0}
