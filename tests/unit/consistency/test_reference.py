"""The fast engine against the plain reference of the rules, on random histories.

``accord.consistency._reference`` states the rules of docs/consistency.md as plainly as
they are written; the engine must give the same report for any history, in any order, with
any lateness (while nothing lagged beyond it) and any finalization rhythm.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.consistency import ConsistencyEngine, Expectation, parse_time
from accord.consistency._reference import reference_report
from accord.events import dead_letter_event

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
START = datetime(2026, 1, 1, 10, tzinfo=UTC)
OFFSETS = {"Z": timedelta(0), "+02:00": timedelta(hours=2), "-01:30": timedelta(hours=-1.5)}


def _time(ms: int, offset: str) -> str:
    moment = START + timedelta(milliseconds=ms) + OFFSETS[offset]
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + offset


@st.composite
def _events(draw: st.DrawFn) -> dict[str, Any]:
    """One event from small pools, so that keys, ids and times collide often."""
    type_ = draw(st.sampled_from([ORDER, ORDER, INVOICE, DELIVERY, "other", "dead", "untimed"]))
    key = draw(st.sampled_from(["a", "b", "c", "d", "e"]))
    n = draw(st.sampled_from([0, 0, 0, 1, 2]))
    base = draw(st.sampled_from([0, 1_000, 4_000, 9_000, 20_000, 60_000]))
    jitter = draw(st.sampled_from([0, 0, 1, 500, -700]))
    event: dict[str, Any] = {
        "type": ORDER if type_ == "dead" else type_,
        "id": f"{type_}-{key}-{n}",
        "partitionkey": key,
        "time": _time(base + jitter + 10 * n, draw(st.sampled_from(list(OFFSETS)))),
        "data": {"city": draw(st.sampled_from(["X", "Y", 1, 1.0, None])), "orderId": key},
    }
    if type_ == "untimed":
        del event["time"]
    if type_ == "dead":
        event["type"] = draw(st.sampled_from([ORDER, INVOICE, "other"]))
        event = dead_letter_event({**event, "deadletterreason": "rejected"}, f"dlq/{n}")
        spoilt = draw(st.sampled_from([None, None, None, "data", "key"]))
        if spoilt == "data":  # nothing to read of what was dead-lettered
            event["data"] = "garbage"
        elif spoilt == "key":
            del event["partitionkey"], event["data"]["event"]["partitionkey"]
    return event


@st.composite
def _histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Orders over two minutes, each with its invoice and delivery in time or late, missing,
    duplicated, copied or skewed; read mostly in time order (so that keys are finalized),
    a few events moved earlier in the reading (they lag), some noise of :func:`_events`."""
    events: list[dict[str, Any]] = []
    stragglers: list[dict[str, Any]] = []
    for k in range(draw(st.integers(1, 12))):
        key, t0 = f"k{k}", draw(st.integers(0, 120_000))
        offset = draw(st.sampled_from(list(OFFSETS)))
        for type_ in (ORDER, INVOICE, DELIVERY):
            fate = draw(st.sampled_from(
                ["once", "once", "once", "none", "copy", "other id", "earlier, read last"]
            ))
            if fate == "none" and type_ == ORDER:
                fate = "once"
            if fate == "none":
                continue
            delay = 0 if type_ == ORDER else draw(st.sampled_from([0, 300, 4_000, 12_000, -400]))
            city = draw(st.sampled_from(["X", "X", "Y"]))
            match = {"type": type_, "id": f"{type_}-{key}-1", "partitionkey": key,
                     "time": _time(t0 + delay, offset), "data": {"city": city, "orderId": key}}
            events.append(match)
            if fate == "copy":
                events.append(dict(match))
            elif fate == "other id":
                later = draw(st.sampled_from([-1_000, 0, 2_000]))
                events.append({**match, "id": f"{type_}-{key}-2",
                               "time": _time(t0 + delay + later, offset)})
            elif fate == "earlier, read last":  # it moves T0 or the latency of a done key
                earlier = draw(st.sampled_from([0, 1, 500, 3_000]))  # 0: a tie, a smaller id
                data = {"city": draw(st.sampled_from(["X", "Y"])), "orderId": key}
                stragglers.append({**match, "id": f"{type_}-{key}-0", "data": data,
                                   "time": _time(t0 + delay - earlier, offset)})
    events.sort(key=lambda e: parse_time(e["time"]))
    # some events are read after later ones (they lag): each moves back by a few places
    lags = draw(st.lists(st.sampled_from([0, 0, 0, 0, 0, 1, 3, 8]), min_size=len(events),
                         max_size=len(events)))
    order = sorted(range(len(events)), key=lambda i: i + lags[i])
    events = [events[i] for i in order] + stragglers
    for noise in draw(st.lists(_events(), max_size=4)):
        events.insert(draw(st.integers(0, len(events))), noise)
    return events


_CONFIG = st.fixed_dictionaries({
    "limits": st.tuples(st.sampled_from([0.0, 1.0, 5.0]), st.sampled_from([2.0, 10.0])),
    "agree": st.booleans(),
    "key_pointer": st.booleans(),
    "lateness_s": st.sampled_from([None, 0.0, 1.0, 5.0, 30.0]),
    "every": st.sampled_from([1, 3, 64]),
    "complete": st.booleans(),
    "partial": st.booleans(),
    "accepted": st.sampled_from([None, ["a", "z"], {"b": START, "y": None}]),
})


def _setup(config: dict[str, Any]) -> tuple[list[Expectation], dict[str, Any]]:
    invoice, delivery = config["limits"]
    pointer = "/data/orderId" if config["key_pointer"] else None
    expectations = [Expectation(INVOICE, invoice, key_pointer=pointer),
                    Expectation(DELIVERY, delivery)]
    agree = [(DELIVERY, "/data/city", "/data/city")] if config["agree"] else []
    return expectations, {"agree": agree}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.one_of(st.lists(_events(), max_size=40), _histories()), config=_CONFIG)
def test_the_engine_gives_the_reference_report(
    events: list[dict[str, Any]], config: dict[str, Any]
) -> None:
    expectations, extra = _setup(config)
    engine = ConsistencyEngine(
        ORDER, expectations, lateness_s=config["lateness_s"], finalize_every=config["every"],
        **extra,
    )
    for event in events:
        engine.add(event)
    options = {k: config[k] for k in ("complete", "partial", "accepted")}
    got = engine.report(**options)
    assert got.pop("lateness_s") == config["lateness_s"]
    if got["beyond_lateness"]:
        # an event lagged more than the lateness behind a final key: the report may differ,
        # but only where that event is concerned; the rest is held by the exact run
        got = ConsistencyEngine(ORDER, expectations, lateness_s=None, **extra)
        for event in events:
            got.add(event)
        got = got.report(**options)
        got.pop("lateness_s")
    expected = reference_report(events, ORDER, expectations, **extra, **options)
    expected.pop("lateness_s")
    assert got == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.one_of(st.lists(_events(), max_size=25), _histories()), config=_CONFIG,
       data=st.data())
def test_in_time_order_finalization_is_exact(
    events: list[dict[str, Any]], config: dict[str, Any], data: st.DataObject
) -> None:
    """Events read in time order never lag: every lateness gives the reference report."""
    timed = sorted((e for e in events if "time" in e), key=lambda e: parse_time(e["time"]))
    expectations, extra = _setup(config)
    lateness = data.draw(st.sampled_from([0.0, 0.5, 3.0]))
    engine = ConsistencyEngine(ORDER, expectations, lateness_s=lateness, finalize_every=1,
                               **extra)
    for event in timed:
        engine.add(event)
    got = engine.report(partial=True)
    assert got.pop("lateness_s") == lateness and got["beyond_lateness"] == 0
    expected = reference_report(timed, ORDER, expectations, **extra, partial=True)
    expected.pop("lateness_s")
    assert got == expected
