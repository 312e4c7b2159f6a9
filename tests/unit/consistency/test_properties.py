"""Properties: arrival order never changes the verdict; merging splits changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.consistency import ConsistencyEngine, Expectation, merge_reports
from accord.events import dead_letter_event

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"


def _engine() -> ConsistencyEngine:
    return ConsistencyEngine(
        ORDER,
        [Expectation(INVOICE, 5.0), Expectation(DELIVERY, 10.0)],
        agree=[(DELIVERY, "/data/city", "/data/city")],
    )


def _report(events: list[dict[str, Any]], partial: bool = False, **kwargs: Any
            ) -> dict[str, Any]:
    engine = _engine()
    for event in events:
        engine.add(event)
    return engine.report(partial=partial, **kwargs)


# An event is drawn from small pools so that keys, ids and times collide often: copies of
# one id are identical (a redelivery), distinct ids of one type and key are duplicates.
_event = st.builds(
    lambda type_, key, n, second, city, offset: _dead({
        "type": ORDER if type_ == "dead" else type_,
        "id": f"{type_}-{key}-{n}",
        "partitionkey": key,
        "time": _time(second + n, offset),
        "data": {"city": city[n % len(city)]},
    }, type_ == "dead"),
    st.sampled_from([ORDER, INVOICE, DELIVERY, "other", "dead"]),
    st.sampled_from(["a", "b", "c", "d"]),
    st.integers(0, 2),
    st.integers(0, 30),
    st.just(["X", "Y", "X"]),
    st.sampled_from(["Z", "+02:00", "-01:30"]),
)


def _dead(event: dict[str, Any], dead: bool) -> dict[str, Any]:
    """``event``, or a consumer's dead letter of it (issue 12: ``dead_lettered``)."""
    if not dead:
        return event
    copy = {**event, "deadletterreason": f"rejected {event['id']}"}
    return dead_letter_event(copy, f"order.dlq/{event['id']}")


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
    # reconciled with accepted ids ("z" is never a key) and over a closed window
    kwargs: dict[str, Any] = {"accepted": ["a", "z"], "complete": True}
    assert _report(shuffled, **kwargs) == _report(events, **kwargs)


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(_event, max_size=40))
def test_closed_windows_dead_letters_and_accepted_ids_follow_a_plain_reference(
    events: list[dict[str, Any]],
) -> None:
    from collections import Counter

    from accord.events import DEAD_LETTER_TYPE

    opened = _report(events)
    closed = _report(events, complete=True, accepted=["a", "z"])
    triggers = {e["partitionkey"] for e in events if e["type"] == ORDER}
    dead = {(e["data"]["type"], e["partitionkey"]) for e in events if e["type"] == DEAD_LETTER_TYPE}
    assert closed["dead_lettered"] == len(dead)
    assert closed["untriggered"] == len({"a", "z"} - triggers) and closed["accepted"] == 2
    for type_ in (INVOICE, DELIVERY):
        o, c = opened["expectations"][type_], closed["expectations"][type_]
        # a closed window turns every pending outcome into missing, and changes nothing else
        assert c["pending"] == 0 and c["missing"] == o["missing"] + o["pending"]
        assert (c["ok"], c["late"], c["orphaned"]) == (o["ok"], o["late"], o["orphaned"])
    read = Counter(e["type"] for e in events if e["type"] != DEAD_LETTER_TYPE)
    assert closed["types_read"] == dict(read)
    violated = bool(opened["violations"])
    if not triggers:
        assert opened["verdict"] == ("not_consistent" if violated else "nothing_decided")
    assert opened["consistent"] == (opened["verdict"] == "consistent")
