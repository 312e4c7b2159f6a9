"""Finalization: memory follows the undecided keys, and the report stays exact.

Keys whose trigger and matches are all more than ``lateness_s`` behind the latest time read
are folded into aggregates and kept only as a compact residue; these tests check that this
happens, that later events of such keys are still classified exactly, that what cannot be
is counted in ``beyond_lateness``, and that inputs lagging at most ``lateness_s`` give the
report of ``lateness_s=None``.
"""

from __future__ import annotations

import io
import json
import math
import random
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.cli import main
from accord.cli._audit import feed_interleaved
from accord.consistency import ConsistencyEngine, Expectation
from accord.errors import UsageError
from accord.events import dead_letter_event
from accord.sources import JsonlSource

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
START = datetime(2026, 1, 1, tzinfo=UTC)
ACCEPTED = {"k0": None, "k3": None, "k9": START}


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def ev(type_: str, id_: str, key: str, seconds: float, **data: Any) -> dict[str, Any]:
    return {"type": type_, "id": id_, "partitionkey": key, "time": at(seconds), "data": data}


def engine(lateness_s: float | None, every: int = 1, agree: bool = True) -> ConsistencyEngine:
    return ConsistencyEngine(
        ORDER,
        [Expectation(INVOICE, 5.0), Expectation(DELIVERY, 10.0)],
        agree=[(DELIVERY, "/data/city", "/data/city")] if agree else [],
        lateness_s=lateness_s,
        finalize_every=every,
    )


def report(events: list[dict[str, Any]], lateness_s: float | None, every: int = 1,
           accepted: Any = None, **kwargs: Any) -> dict[str, Any]:
    e = engine(lateness_s, every, **kwargs)
    for event in events:
        e.add(event)
    out = e.report(partial=True, accepted=accepted)
    out.pop("lateness_s")
    return out


def orders(n: int, spacing: float = 1.0) -> list[dict[str, Any]]:
    """n orders in time order, each with an invoice after 2 s and a delivery after 3 s."""
    out = []
    for k in range(n):
        t = k * spacing
        out += [
            ev(ORDER, f"o{k}", f"k{k}", t, city="X"),
            ev(INVOICE, f"i{k}", f"k{k}", t + 2 + (k % 7)),  # some late (> 5 s)
            ev(DELIVERY, f"d{k}", f"k{k}", t + 3, city="X" if k % 11 else "Y"),
        ]
    out.sort(key=lambda e: e["time"])
    return out


# Without agree pointers a key settles into the residue as soon as it is complete (its
# state is dropped then; the finalization pass only folds its row): both paths are tested.
AGREE = pytest.mark.parametrize("agree", [True, False], ids=["agree", "settle-early"])


@AGREE
def test_a_long_in_order_stream_keeps_only_recent_keys(agree: bool) -> None:
    e = engine(60.0, every=100, agree=agree)
    for event in orders(3000):
        e.add(event)
    assert e.keys == 3000
    assert e.finalized_keys > 2800
    assert e.tracked_keys < 150, "only the last minute or so of keys keeps full state"
    assert e.peak_tracked_keys < 250
    assert e.residue_bytes() > 0
    exact = report(orders(3000), None, agree=agree)
    got = e.report(partial=True)
    assert got["lateness_s"] == 60.0
    got.pop("lateness_s")
    assert got == exact
    assert exact["expectations"][INVOICE]["late"] > 0  # finalized late keys are reported
    assert (exact["expectations"][DELIVERY]["mismatched"] > 0) == agree


@AGREE
def test_later_events_of_finalized_keys_are_classified_exactly(agree: bool) -> None:
    events = orders(500)
    last = 500.0
    events += [
        # a redelivered copy of k0's invoice, long after (same id, same time)
        ev(INVOICE, "i0", "k0", 2),
        # a second distinct invoice for k1, later: duplicated
        ev(INVOICE, "i1-again", "k1", last + 1),
        ev(INVOICE, "i1-again", "k1", last + 1),  # and its copy
        # a second distinct trigger for k2, later: duplicate_trigger
        ev(ORDER, "o2-again", "k2", last + 2),
        # a copy of k3's trigger
        ev(ORDER, "o3", "k3", 3),
    ]
    e = engine(30.0, every=50, agree=agree)
    for event in events:
        e.add(event)
    assert e.finalized_keys > 400
    got = e.report(partial=True)
    got.pop("lateness_s")
    exact = report(events, None, agree=agree)
    assert got == exact
    assert got["beyond_lateness"] == 0
    assert got["duplicate_triggers"] == 1 and got["redelivered_triggers"] == 1
    assert got["expectations"][INVOICE]["duplicated"] == 1
    assert got["expectations"][INVOICE]["redelivered"] == 2
    kinds = {(v["kind"], v["key"]) for v in got["violations"]}
    assert ("duplicated", "k1") in kinds and ("duplicate_trigger", "k2") in kinds


@AGREE
def test_an_event_that_would_move_a_finalized_key_counts_beyond_lateness(agree: bool) -> None:
    events = orders(300)
    # k5 is long finalized; an earlier trigger for it would move T0 (latency 7 s -> late)
    events.append(ev(ORDER, "o5-early", "k5", 5 - 10))
    # an earlier copy (same id, earlier time) of k6's delivery would move its match
    events.append(ev(DELIVERY, "d6", "k6", 6 + 1))
    e = engine(30.0, every=50, agree=agree)
    for event in events:
        e.add(event)
    got = e.report()
    assert got["beyond_lateness"] == 2
    # what can still be told exactly is: the second trigger id, the copy
    exact = report(events, None, agree=agree)
    assert got["duplicate_triggers"] == exact["duplicate_triggers"] == 1
    assert (got["expectations"][DELIVERY]["redelivered"]
            == exact["expectations"][DELIVERY]["redelivered"] == 1)
    assert exact["beyond_lateness"] == 0  # never with lateness None


def test_infinite_lateness_never_finalizes() -> None:
    e = ConsistencyEngine(ORDER, [Expectation(INVOICE, 5.0)], lateness_s=math.inf,
                          finalize_every=1)
    for event in orders(200):
        e.add(event)
    assert e.lateness_s is None and e.finalized_keys == 0 and e.tracked_keys == 200
    assert e.finalize() == 0
    assert e.report()["lateness_s"] is None


def test_bad_lateness_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="lateness"):
        ConsistencyEngine(ORDER, [Expectation(INVOICE, 5.0)], lateness_s=-1)
    with pytest.raises(UsageError, match="lateness"):
        ConsistencyEngine(ORDER, [Expectation(INVOICE, 5.0)], lateness_s=math.nan)


@AGREE
def test_the_hand_computed_scenario_with_finalization_after_every_event(
    scenario: list[dict[str, Any]], agree: bool
) -> None:
    """The scenario spans 10 minutes: lateness 10 min covers any shuffle of it."""
    def run(events: list[dict[str, Any]], lateness: float | None) -> dict[str, Any]:
        e = ConsistencyEngine(
            ORDER, [Expectation(INVOICE, 60.0), Expectation(DELIVERY, 60.0)],
            agree=[(DELIVERY, "/data/shippingAddress", "/data/address")] if agree else [],
            lateness_s=lateness, finalize_every=1,
        )
        for event in events:
            e.add(event)
        out = e.report()
        out.pop("lateness_s")
        return out

    exact = run(scenario, None)
    rng = random.Random(3)
    for _ in range(20):
        shuffled = scenario[:]
        rng.shuffle(shuffled)
        assert run(shuffled, 600.0) == exact
    # in time order (the audit.tick last) even a lateness of 0 is exact
    in_order = sorted(scenario, key=lambda e: datetime.fromisoformat(e["time"]))
    assert run(in_order, 0.0) == exact


# Events from small pools (keys, ids, times collide), arriving in the order of
# time + a delay of at most D: no event lags the latest time before it by more than D.
_D = 6
_event = st.builds(
    lambda type_, key, n, second, delay: (
        second + delay,
        {
            "type": type_,
            "id": f"{type_}-{key}-{n}",
            "partitionkey": key,
            "time": at(second + (n if type_ != "other" else 0)),
            "data": {"city": "XY"[n % 2]},
        },
    ),
    st.sampled_from([ORDER, INVOICE, DELIVERY, "other"]),
    st.sampled_from([f"k{i}" for i in range(8)]),
    st.integers(0, 2),
    st.integers(0, 60),
    st.integers(0, _D),
)


def _dead_lettered(pair: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """A consumer's dead letter of a drawn event (issue 12): counted the same however late."""
    arrive, event = pair
    copy = {**event, "deadletterreason": f"rejected {event['id']}"}
    return arrive, dead_letter_event(copy, f"dlq/{event['id']}")


# the drawn events, and dead letters of some of them
_with_dead = st.one_of(_event, _event.map(_dead_lettered))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_with_dead, max_size=60), st.booleans())
def test_disorder_within_lateness_gives_the_exact_report(
    drawn: list[tuple[int, dict[str, Any]]], agree: bool
) -> None:
    # copies of one id must be identical: keep the first drawn time per id
    first: dict[str, dict[str, Any]] = {}
    arrivals = []
    for arrive, event in drawn:
        event = first.setdefault(event["id"], event)
        seconds = (datetime.fromisoformat(event["time"]) - START).total_seconds()
        arrivals.append((max(arrive, seconds), event))  # arrive no earlier than its time
    arrivals.sort(key=lambda pair: pair[0])
    events = [event for _, event in arrivals]
    # reconciled with accepted ids: some are trigger keys (live or in the residue), k9 never
    exact = report(events, None, agree=agree, accepted=ACCEPTED)
    finalized = report(events, float(_D), every=1, agree=agree, accepted=ACCEPTED)
    assert finalized == exact
    assert finalized["beyond_lateness"] == 0


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return str(path)


def test_several_sources_are_read_interleaved_by_time(tmp_path: Path) -> None:
    events = orders(3000)
    by_type = {t: [e for e in events if e["type"] == t] for t in (ORDER, INVOICE, DELIVERY)}
    # orders alone in one file; invoices and deliveries in two more, blank lines included
    paths = [write_jsonl(tmp_path / f"{t}.jsonl", es) for t, es in by_type.items()]
    Path(paths[1]).write_bytes(b"\n" + Path(paths[1]).read_bytes() + b"\n\n")
    e = engine(60.0, every=100)
    feed_interleaved(e, [JsonlSource(p) for p in paths], chunk=100)
    assert e.peak_tracked_keys < 400, "reading one file after another would hold all 3000"
    got = e.report(partial=True)
    got.pop("lateness_s")
    assert got == report(events, None)
    assert got["events"] == len(events)


def test_audit_of_trigger_and_expectations_in_separate_files(tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    events = orders(200)
    triggers = write_jsonl(tmp_path / "orders.jsonl", [e for e in events if e["type"] == ORDER])
    rest = write_jsonl(tmp_path / "rest.jsonl", [e for e in events if e["type"] != ORDER])
    expect = ["--trigger", ORDER, "--expect", f"{INVOICE}=5s", "--expect", f"{DELIVERY}=10s"]
    reports = {}
    for lateness in ("1m", "inf"):
        out = tmp_path / lateness
        assert main(["audit", rest, triggers, *expect, "--lateness", lateness,
                     "--report-dir", str(out), "--format", "json"]) == 1  # late invoices
        reports[lateness] = json.loads((out / "report.json").read_text())
    assert reports["1m"].pop("lateness_s") == 60.0
    assert reports["inf"].pop("lateness_s") is None
    assert reports["1m"] == reports["inf"]
    assert reports["1m"]["expectations"][INVOICE]["late"] > 0
    assert reports["1m"]["triggers"] == 200


def test_bad_lateness_option_exits_2(tmp_path: Path, monkeypatch: Any,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    source = write_jsonl(tmp_path / "e.jsonl", orders(1))
    assert main(["audit", source, "--trigger", ORDER, "--expect", f"{INVOICE}=5s",
                 "--lateness", "soon"]) == 2
    assert "--lateness" in capsys.readouterr().err


def test_jsonl_chunks_skip_blank_lines_and_name_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"a": 2}\n{"a": 3}\n\n\n{"a": 4}\n{"a": 5}\n')
    chunks = list(JsonlSource(path).chunks(2))
    assert [[(v["a"], n) for v, n in c] for c in chunks] == [
        [(1, 1), (2, 3)], [(3, 4), (4, 7)], [(5, 8)]
    ]
    path.write_bytes(b'{"a": 1}\n{oops\n')
    with pytest.raises(UsageError, match=r"c\.jsonl:2: not JSON"):
        list(JsonlSource(path).chunks(10))


def test_lateness_from_pyproject_and_bad_lines_of_the_second_source(
    tmp_path: Path, monkeypatch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.accord.audit]\ntrigger = "order.accepted"\nlateness = "inf"\n'
        'expect = { "invoice.created" = "60s", "delivery.created" = "60s" }\n'
    )
    events = orders(3)
    a = write_jsonl(tmp_path / "a.jsonl", [e for e in events if e["type"] == ORDER])
    b = write_jsonl(tmp_path / "b.jsonl", [e for e in events if e["type"] != ORDER])
    assert main(["audit", a, b, "--format", "json"]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["lateness_s"] is None
    with Path(b).open("ab") as out:
        out.write(b'{"type": "invoice.created", "id": "x", "partitionkey": "k", "time": "no"}\n')
    assert main(["audit", a, b]) == 2
    assert "b.jsonl:7: time 'no' is not an RFC 3339 time" in capsys.readouterr().err


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_with_dead, max_size=60), st.randoms(use_true_random=False), st.booleans())
def test_any_order_report_is_exact_unless_beyond_lateness_says_otherwise(
    drawn: list[tuple[int, dict[str, Any]]], rng: random.Random, agree: bool
) -> None:
    first: dict[str, dict[str, Any]] = {}
    events = [first.setdefault(event["id"], event) for _, event in drawn]
    rng.shuffle(events)  # any disorder, far beyond the lateness of 2 s
    exact = report(events, None, agree=agree, accepted=ACCEPTED)
    finalized = report(events, 2.0, every=1, agree=agree, accepted=ACCEPTED)
    if finalized["beyond_lateness"] == 0:
        assert finalized == exact
    else:
        # copies and distinct ids are still counted exactly
        for name in ("triggers", "duplicate_triggers", "redelivered_triggers", "events",
                     "dead_lettered", "untriggered", "types_read"):
            assert finalized[name] == exact[name]
        for type_, stats in exact["expectations"].items():
            for name in ("duplicated", "redelivered", "orphaned"):
                assert finalized["expectations"][type_][name] == stats[name], (type_, name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_event, max_size=60), st.randoms(use_true_random=False),
       st.sampled_from([None, 2.0]), st.booleans())
def test_envelopes_give_the_report_of_whole_events(
    drawn: list[tuple[int, dict[str, Any]]], rng: random.Random, lateness_s: float | None,
    agree: bool,
) -> None:
    # `accord audit` decodes only what the engine reads: four attributes, and with agree
    # pointers /data/city
    first: dict[str, dict[str, Any]] = {}
    events = [first.setdefault(event["id"], event) for _, event in drawn]
    rng.shuffle(events)
    data = b"".join(orjson.dumps(e) + b"\n" + b"\n" * rng.randrange(2) for e in events)
    whole = engine(lateness_s, every=3, agree=agree)
    light = engine(lateness_s, every=3, agree=agree)
    assert light.envelope_type is not None
    JsonlSource("-", stream=io.BytesIO(data)).feed(whole.add_located)
    JsonlSource("-", stream=io.BytesIO(data)).feed(
        partial(light.add_located, envelopes=True), envelope=light.envelope_type
    )
    assert light.report(partial=True) == whole.report(partial=True)


def test_envelopes_are_refused_when_a_pointer_reads_an_envelope_attribute() -> None:
    keyed = ConsistencyEngine(ORDER, [Expectation(INVOICE, 5.0, key_pointer="/partitionkey")])
    assert keyed.envelope_type is None, "absent and null would look alike"
    with pytest.raises(UsageError, match="pass whole events"):
        keyed.add_located([], envelopes=True)


def test_audit_names_a_bad_event_line_however_much_of_it_is_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no pointer: four attributes are decoded; a pointer into data: also what it reaches;
    # a pointer to an envelope attribute: the whole event. The same error each time.
    events = [ev(ORDER, "o1", "k1", 0), ev(INVOICE, "i1", "k1", 1, orderId="k1")]
    path = write_jsonl(tmp_path / "e.jsonl", events)
    with Path(path).open("ab") as out:
        out.write(b'\n{"type": "invoice.created", "id": "x", "time": "2026-01-01T00:00:09Z", '
                  b'"partitionkey": ["k"], "data": {"orderId": ["k"]}}\n')
    for key in ([], [f"{INVOICE}=/data/orderId"], [f"{INVOICE}=/partitionkey"]):
        assert main(["audit", path, "--trigger", ORDER, "--expect", f"{INVOICE}=5s",
                     *(f"--key={k}" for k in key)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"accord: error: {path}:4: invoice.created 'x': key ['k'] is not")
