"""Validation throughput, side by side in one run on the same events.

    python bench/bench_validation.py [--events 50000] [--repeat 9] [--contracts contracts]

Generates realistic valid events of the three reference types (plus a few broken ones) and
times, on exactly the same list:

1. ``jsonschema``: a reused ``Draft202012Validator`` with its format checker, data only;
2. ``jsonschema_rs``: a bare compiled validator of each type's schema, data only, compiled
   with the options accord uses (``validate_formats=True, ignore_unknown_formats=False``) and
   called as accord calls its own (a dict of bound ``is_valid`` methods, keyed by type);
3. accord: ``SchemaRegistry.validate`` (and ``is_valid``) on whole CloudEvents: the envelope
   attributes too, and the record key where one is given (not here).

So the target compares unlike work on purpose: accord's whole-event check against a bare
validator that checks only ``data`` (both with formats asserted). Both data-only loops pick the
validator by the event's type, as any caller of a mixed stream must.

Timing: CPU time of this process (``time.process_time``), so time the scheduler gives other
processes on a shared machine is not counted; each figure is the best of ``--repeat`` rounds,
the fast loops taking turns within a round. Two working sets: all events once per pass (they
live in main memory, as when a large file or topic is read) and a small set validated many
times over (it stays in the CPU caches, as when each event is checked right after it is
parsed); the fixed per-event cost of the envelope weighs more in the second. Prints events/s
and the ratios accord/jsonschema_rs (the target is >= 0.8) and jsonschema_rs/jsonschema.
Figures, not assertions: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from accord.schemas import SchemaRegistry
from accord.schemas._samples import sample_event

ROOT = Path(__file__).resolve().parents[1]


def make_events(
    registry: SchemaRegistry, count: int, invalid: int, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    types = registry.types
    events = [sample_event(rng.choice(types), rng) for _ in range(count)]
    breakers: list[Callable[[dict[str, Any]], None]] = [
        lambda e: e["data"].__setitem__("orderId", "not-a-uuid"),
        lambda e: e["data"].pop("createdAt", None) or e["data"].pop("acceptedAt", None),
        lambda e: e["data"]["lines"][0].__setitem__("count", 0),
        lambda e: e.__setitem__("time", "yesterday"),  # envelope only: data stays valid
    ]
    for index in rng.sample(range(count), invalid):
        rng.choice(breakers)(events[index])
    return events


def best_rates(
    loops: dict[str, Callable[[], int]], count: int, repeat: int
) -> dict[str, tuple[float, int, list[float]]]:
    """Events per second of each loop's fastest run, what the loop returned, and every run's time.

    The loops take turns, round after round, so that a burst of load from other processes
    on a shared machine hits all of them alike rather than skewing one ratio; CPU time of this
    process leaves out the time other processes run instead.
    """
    times: dict[str, list[float]] = {name: [] for name in loops}
    results = dict.fromkeys(loops, 0)
    for _ in range(repeat):
        for name, loop in loops.items():
            start = time.process_time()
            results[name] = loop()
            times[name].append(time.process_time() - start)
    return {name: (count / min(times[name]), results[name], times[name]) for name in loops}


def round_ratios(base: list[float], other: list[float]) -> str:
    """``min - max (median)`` of the per-round throughput ratios other/base."""
    ratios = sorted(b / o for b, o in zip(base, other, strict=True))
    return f"{ratios[0]:.2f} - {ratios[-1]:.2f} (median {statistics.median(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--invalid", type=int, default=100, help="broken events among them")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--hot-events", type=int, default=1_000,
                        help="size of the cache-resident working set (default: %(default)s)")
    parser.add_argument("--jsonschema-repeat", type=int, default=1,
                        help="runs of the slow pure-Python validator (default: %(default)s)")
    parser.add_argument("--contracts", default=str(ROOT / "contracts"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    registry = SchemaRegistry.from_directory(args.contracts)
    events = make_events(registry, args.events, args.invalid, args.seed)
    n = len(events)

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    py_validators = {
        t: jsonschema.Draft202012Validator(registry.schema(t), format_checker=checker)
        for t in registry.types
    }
    # Compiled exactly as accord compiles its own (formats asserted, an unknown format an
    # error), and looked up as accord looks up its own: a dict of bound is_valid methods.
    rs_validators = {
        t: jsonschema_rs.Draft202012Validator(
            registry.schema(t), validate_formats=True, ignore_unknown_formats=False
        ).is_valid
        for t in registry.types
    }

    fast_validators = _fastjsonschema_validators(registry)

    # Plain for-loops, the least loop overhead Python has: the ratios are not diluted by it.
    def python_jsonschema() -> int:
        validators, bad = py_validators, 0
        for e in events:
            if not validators[e["type"]].is_valid(e["data"]):
                bad += 1
        return bad

    def loops_over(batch: list[dict[str, Any]], passes: int) -> dict[str, Callable[[], int]]:
        def bare_rs() -> int:
            validators, bad = rs_validators, 0
            for _ in range(passes):
                for e in batch:
                    if not validators[e["type"]](e["data"]):
                        bad += 1
            return bad

        def accord_validate() -> int:
            validate, bad = registry.validate, 0
            for _ in range(passes):
                for e in batch:
                    if validate(e):
                        bad += 1
            return bad

        def accord_is_valid() -> int:
            is_valid, bad = registry.is_valid, 0
            for _ in range(passes):
                for e in batch:
                    if not is_valid(e):
                        bad += 1
            return bad

        def fastjsonschema() -> int:
            validators, bad = fast_validators, 0
            for _ in range(passes):
                for e in batch:
                    try:
                        validators[e["type"]](e["data"])
                    except Exception:  # fastjsonschema's JsonSchemaException, and odd data
                        bad += 1
            return bad

        loops = {"rs": bare_rs, "validate": accord_validate, "is_valid": accord_is_valid}
        if fast_validators:
            loops["fastjsonschema"] = fastjsonschema
        return loops

    big = loops_over(events, 1)
    hot_batch = [e for e in events if registry.is_valid(e)][: args.hot_events]
    hot_passes = max(1, n // max(1, len(hot_batch)))
    hot = loops_over(hot_batch, hot_passes)
    for loop in (*big.values(), *hot.values()):  # warm caches once
        loop()
    fast = best_rates(big, n, args.repeat)
    fast_hot = best_rates(hot, len(hot_batch) * hot_passes, args.repeat)
    py_rate, py_bad, _ = best_rates({"py": python_jsonschema}, n, args.jsonschema_repeat)["py"]
    rs_rate, rs_bad, rs_times = fast["rs"]
    accord_rate, accord_bad, accord_times = fast["validate"]

    formats = ("date-time", "email", "uuid")
    asserted = [f for f in formats if f in checker.checkers]
    skipped = [f for f in formats if f not in checker.checkers]
    print(f"validation throughput: {n} events ({args.invalid} broken), CPU time, "
          f"best of {args.repeat} rounds (jsonschema: {args.jsonschema_repeat})")
    print(f"python {platform.python_version()}, jsonschema {_version('jsonschema')}, "
          f"jsonschema-rs {_version('jsonschema_rs')}, {platform.machine()}, "
          f"load average {_load()}")
    print("like with like: jsonschema and jsonschema_rs check data only (formats asserted); "
          "accord checks\nwhole CloudEvents (envelope attributes + data, formats asserted) "
          "and so does more work.")
    print(f"{'validator':54s} {'events/s':>12s} {'invalid':>8s}")
    rows = [
        ("jsonschema Draft202012Validator (reused), data only", py_rate, py_bad),
        ("jsonschema_rs compiled validator, data only", rs_rate, rs_bad),
        ("accord SchemaRegistry.validate, whole CloudEvent", accord_rate, accord_bad),
        ("accord SchemaRegistry.is_valid, whole CloudEvent", *fast["is_valid"][:2]),
    ]
    if "fastjsonschema" in fast:
        rows.insert(1, ("fastjsonschema (draft-07 code), data only", *fast["fastjsonschema"][:2]))
    for name, rate, bad in rows:
        print(f"{name:54s} {rate:12,.0f} {bad:8d}")
    print(f"ratio accord.validate / jsonschema_rs: {accord_rate / rs_rate:.2f} (target >= 0.80); "
          f"per round {round_ratios(rs_times, accord_times)}")
    print(f"ratio jsonschema_rs / jsonschema:      {rs_rate / py_rate:.0f}x")
    if "fastjsonschema" in fast:
        fj_rate, _, fj_times = fast["fastjsonschema"]
        print(f"ratio accord.validate / fastjsonschema: {accord_rate / fj_rate:.2f}; "
              f"per round {round_ratios(fj_times, accord_times)}")
    hot_rs, hot_accord = fast_hot["rs"], fast_hot["validate"]
    print(f"cache-resident: {len(hot_batch)} valid events x {hot_passes} passes: "
          f"jsonschema_rs {hot_rs[0]:,.0f}/s, accord.validate {hot_accord[0]:,.0f}/s, "
          f"accord.is_valid {fast_hot['is_valid'][0]:,.0f}/s")
    print(f"ratio accord.validate / jsonschema_rs, cache-resident: "
          f"{hot_accord[0] / hot_rs[0]:.2f}; per round {round_ratios(hot_rs[2], hot_accord[2])}")
    print(f"note: jsonschema's FORMAT_CHECKER asserts {', '.join(asserted) or 'no formats'}"
          + (f" but not {', '.join(skipped)} (optional packages, e.g. rfc3339-validator)"
             if skipped else "")
          + "; the data-only loops cannot see the envelope breaks accord reports.")


def _fastjsonschema_validators(registry: Any) -> dict[str, Callable[[Any], Any]]:
    """fastjsonschema's compiled validators when it is installed (the bench extra).

    It implements drafts 4, 6 and 7, not 2020-12: the schemas are compiled as draft 7
    (keywords it does not know are ignored), so it may check less than the others.
    """
    try:
        import fastjsonschema
    except ImportError:
        return {}
    compiled = {}
    for t in registry.types:
        schema = dict(registry.schema(t))
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        compiled[t] = fastjsonschema.compile(schema)
    return compiled


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "?"


def _version(name: str) -> str:
    from importlib.metadata import version

    try:
        return version(name.replace("_", "-"))
    except Exception:  # pragma: no cover - informational only
        return "?"


if __name__ == "__main__":
    main()
