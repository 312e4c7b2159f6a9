"""Properties: arrival order never changes the verdict; merging splits changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.consistency import ConsistencyEngine, Expectation, merge_reports

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"


def _engine() -> ConsistencyEngine:
    return ConsistencyEngine(
        ORDER,
        [Expectation(INVOICE, 5.0), Expectation(DELIVERY, 10.0)],
        agree=[(DELIVERY, "/data/city", "/data/city")],
    )


def _report(events: list[dict[str, Any]], partial: bool = False) -> dict[str, Any]:
    engine = _engine()
    for event in events:
        engine.add(event)
    return engine.report(partial=partial)


# An event is drawn from small pools so that keys, ids and times collide often: copies of
# one id are identical (a redelivery), distinct ids of one type and key are duplicates.
_event = st.builds(
    lambda type_, key, n, second, city, offset: {
        "type": type_,
        "id": f"{type_}-{key}-{n}",
        "partitionkey": key,
        "time": _time(second + n, offset),
        "data": {"city": city[n % len(city)]},
    },
    st.sampled_from([ORDER, INVOICE, DELIVERY, "other"]),
    st.sampled_from(["a", "b", "c", "d"]),
    st.integers(0, 2),
    st.integers(0, 30),
    st.just(["X", "Y", "X"]),
    st.sampled_from(["Z", "+02:00", "-01:30"]),
)


def _time(second: int, offset: str) -> str:
    hours = {"Z": 0, "+02:00": 2, "-01:30": -1.5}[offset]
    total = 3600 * 10 + int(3600 * hours) + second
    return f"2026-01-01T{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}{offset}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(_event, max_size=40), data=st.data())
def test_any_permutation_gives_the_same_report(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))
    assert _report(shuffled) == _report(events)


@settings(max_examples=40, deadline=None)
@given(events=st.lists(_event, max_size=40))
def test_merging_partials_split_by_key_equals_one_run(events: list[dict[str, Any]]) -> None:
    single = _report(events)
    parts = [[e for e in events if (e["partitionkey"] in "ab") == side] for side in (0, 1)]
    reports = [_report(p, partial=True) for p in parts]
    # partials decide against their own window end; the merge decides against the latest
    merged = merge_reports(reports)
    if merged["window_end"] is not None or single["window_end"] is not None:
        assert merged["window_end"] == single["window_end"]
    for report in (merged, single):
        report.pop("merged_from", None)
        report.pop("window_end")
        for stats in report["expectations"].values():
            stats.pop("latency_exact", None)
    assert merged == single
