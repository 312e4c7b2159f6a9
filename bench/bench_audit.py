"""Benchmark of ``accord audit`` on JSONL files against merely parsing them with orjson.

Generates (once, cached) JSONL files of realistic CloudEvents: per order one order.accepted,
one invoice.created and one delivery.created (v1 shapes), about 1% redelivered copies, 0.5%
duplicated invoices, 0.5% missing deliveries, shuffled within windows of 2,000 lines. For each
size it runs, each in a fresh subprocess on one core:

- parse-only: ``for line in file: orjson.loads(line)`` with the 1 MiB read buffer
  JsonlSource uses (lines/s),
- audit: what ``accord audit`` runs (``accord.cli._audit.feed`` + ``engine.report``): it
  decodes only what the engine reads of each line (``accord.events.envelope_type``,
  msgspec): the four attributes it correlates by (events/s),
- the same audit with other settings, each a row of a second table: key pointers into the
  data (``--key invoice.created=/data/orderId``: the envelope and what they reach), the same
  plus an ``--agree`` pair (and its batch finalization), and a pointer to an envelope
  attribute (``--key invoice.created=/partitionkey``), which parses every line whole with
  orjson as parse-only does,

- DuckDB with one thread (when installed: the ``bench`` extra): the same counts (ok, late,
  missing, duplicated, redelivered per expectation) in SQL over the same file, checked
  equal to accord's,

and prints the rates, the ratios to parse-only (target >= 0.5) and the peak resident memory
(``ru_maxrss``) of each subprocess. Rates are per second of CPU time of the process
(``time.process_time``), so that other jobs on a shared machine disturb them less than wall
time; on an idle machine the two are the same.

Run: ``python bench/bench_audit.py [--sizes 300000,3000000] [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

_START = datetime(2026, 1, 1, tzinfo=UTC)


def _address(rng: random.Random) -> dict[str, str]:
    return {
        "street": f"{rng.randrange(1, 200)} Main Street",
        "zip": f"{rng.randrange(10000, 99999)}",
        "city": rng.choice(["Berlin", "Hamburg", "Munich", "Cologne"]),
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _events_of_order(rng: random.Random, number: int) -> list[dict[str, object]]:
    order_id = str(uuid.UUID(int=rng.getrandbits(128)))
    accepted = _START + timedelta(milliseconds=number * 7)
    customer = {
        "customerId": f"c-{rng.randrange(100000)}",
        "name": "Ada Lovelace",
        "email": "ada@example.org",
    }
    lines = [
        {"count": 1 + rng.randrange(3), "item": {"itemId": f"i-{rng.randrange(999)}",
                                                  "name": "Widget", "price": "9.99"}}
        for _ in range(1 + rng.randrange(2))
    ]
    shipping, billing = _address(rng), _address(rng)

    def event(type_: str, source: str, at: datetime, data: dict[str, object]) -> dict[str, object]:
        return {
            "specversion": "1.0",
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "source": source,
            "type": type_,
            "time": _iso(at),
            "partitionkey": order_id,
            "datacontenttype": "application/json",
            "dataschema": f"urn:accord:schemas:{type_}:v1",
            "data": data,
        }

    out = [
        event("order.accepted", "/reference/order", accepted, {
            "orderId": order_id, "customer": customer, "shippingAddress": shipping,
            "billingAddress": billing, "lines": lines, "total": "19.98",
            "acceptedAt": _iso(accepted),
        })
    ]
    invoiced = accepted + timedelta(milliseconds=rng.randrange(20, 3000))
    invoice = event("invoice.created", "/reference/invoicing", invoiced, {
        "invoiceId": str(uuid.UUID(int=rng.getrandbits(128))), "orderId": order_id,
        "customer": customer, "billingAddress": billing,
        "lines": [{"count": 1, "itemId": "i-1", "name": "Widget", "unitPrice": "9.99",
                   "amount": "9.99"}],
        "total": "19.98", "currency": "EUR", "createdAt": _iso(invoiced),
    })
    out.append(invoice)
    roll = rng.random()
    if roll < 0.005:  # a second invoice: duplicated
        again = dict(invoice, id=str(uuid.UUID(int=rng.getrandbits(128))))
        out.append(again)
    if rng.random() < 0.01:  # a redelivered copy
        out.append(dict(invoice))
    if rng.random() >= 0.005:  # else: delivery missing
        delivered = accepted + timedelta(milliseconds=rng.randrange(20, 5000))
        out.append(event("delivery.created", "/reference/shipping", delivered, {
            "deliveryId": str(uuid.UUID(int=rng.getrandbits(128))), "orderId": order_id,
            "customerName": "Ada Lovelace", "shippingAddress": shipping,
            "lines": [{"count": 1, "itemId": "i-1", "name": "Widget"}],
            "createdAt": _iso(delivered),
        }))
    return out


def generate(path: Path, events: int, seed: int = 4) -> None:
    """Write about ``events`` CloudEvents to ``path``, shuffled within windows of 2,000."""
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    written = 0
    number = 0
    window: list[bytes] = []
    with tmp.open("wb") as out:
        while written < events:
            for event in _events_of_order(rng, number):
                window.append(orjson.dumps(event) + b"\n")
                written += 1
            number += 1
            if len(window) >= 2000:
                rng.shuffle(window)
                out.writelines(window)
                window.clear()
        rng.shuffle(window)
        out.writelines(window)
    tmp.rename(path)


_PARSE = """
import sys, time, resource, orjson
loads = orjson.loads
start = time.process_time()
n = 0
# the same 1 MiB buffer JsonlSource reads with, so the comparison is only about parsing
with open(sys.argv[1], "rb", buffering=1 << 20) as f:
    for line in f:
        loads(line)
        n += 1
elapsed = time.process_time() - start
print(n, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_AUDIT = """
import sys, time, resource, json
from accord.cli._audit import build_engine, feed
from accord.sources import JsonlSource
# invoices all within 60 s; deliveries take 20 ms..5 s, so about 1% are late at 4.95 s
keys, agree = json.loads(sys.argv[2])
expect = ["invoice.created=60s", "delivery.created=4.95s"]
engine = build_engine("order.accepted", expect, keys, agree)
start = time.process_time()
feed(engine, JsonlSource(sys.argv[1]))
fed = time.process_time()
with open("/proc/self/statm") as statm:
    state_rss_kb = int(statm.read().split()[1]) * resource.getpagesize() // 1024
report = engine.report()
done = time.process_time()
summary = {t: {k: s[k] for k in ("ok", "late", "missing", "duplicated", "redelivered")}
           for t, s in report["expectations"].items()}
summary["beyond_lateness"] = report["beyond_lateness"]
summary["keys"] = {"tracked_peak": engine.peak_tracked_keys, "tracked_end": engine.tracked_keys,
                   "finalized": engine.finalized_keys, "residue_bytes": engine.residue_bytes()}
print(report["events"], done - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      fed - start, engine.keys, state_rss_kb, json.dumps(summary))
"""


#: the same counts in SQL, with one DuckDB thread (bench/duckdb_audit.py, run like the others)
_DUCKDB = (Path(__file__).resolve().parent / "duckdb_audit.py").read_text()


def _duckdb_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("duckdb") is not None


#: (name, --key values, --agree values) of the audits of the second table
_VARIANTS = [
    ("--key into data", ["invoice.created=/data/orderId", "delivery.created=/data/orderId"], []),
    ("--key, --agree", ["invoice.created=/data/orderId", "delivery.created=/data/orderId"],
     ["delivery.created:/data/shippingAddress=/data/shippingAddress"]),
    ("whole events", ["invoice.created=/partitionkey"], []),
]


def _run(code: str, path: Path, *args: str) -> list[str]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    # taskset keeps each measurement on one core when available.
    prefix = ["taskset", "-c", "0"] if _has_taskset() else []
    out = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(path), *args],
        check=True, capture_output=True, text=True, env=env,
    )
    return out.stdout.split(maxsplit=6)


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300000,3000000", help="events per file")
    parser.add_argument("--data-dir", default="/tmp/accord-bench", help="where files are cached")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (best is shown)")
    args = parser.parse_args()
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    rows = []
    variants: list[tuple[int, str, float, float, int]] = []
    duckdb_rows: list[tuple[int, float, float, int, int]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = data / f"events-{size}.jsonl"
        if not path.exists():
            t = time.perf_counter()
            generate(path, size)
            print(f"generated {path} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        mb = path.stat().st_size / 1e6
        parse = min((_run(_PARSE, path) for _ in range(args.repeat)), key=lambda r: float(r[1]))

        def audit_with(keys: list[str], agree: list[str], path: Path = path) -> list[str]:
            spec = json.dumps([keys, agree])
            runs = (_run(_AUDIT, path, spec) for _ in range(args.repeat))
            return min(runs, key=lambda r: float(r[1]))

        audit = audit_with([], [])
        lines, parse_s, parse_rss = int(parse[0]), float(parse[1]), int(parse[2])
        events, audit_s, audit_rss = int(audit[0]), float(audit[1]), int(audit[2])
        feed_s, keys, state_kb = float(audit[3]), int(audit[4]), int(audit[5])
        summary = json.loads(audit[6])
        verdict = {k: v for k, v in summary.items() if k != "keys"}
        for name, key_args, agree_args in _VARIANTS:
            other = audit_with(key_args, agree_args)
            got = {k: v for k, v in json.loads(other[6]).items() if k != "keys"}
            if got != verdict:
                raise SystemExit(f"{path}: {name} gave another verdict: {got} != {verdict}")
            variants.append((size, name, int(other[0]) / float(other[1]), lines / parse_s,
                             int(other[2])))
        rows.append((size, mb, lines / parse_s, parse_rss, events / audit_s, audit_rss,
                     feed_s, audit_s - feed_s, keys, state_kb, summary))
        if _duckdb_installed():
            duck = min((_run(_DUCKDB, path) for _ in range(args.repeat)),
                       key=lambda r: float(r[1]))
            counts = {k: v for k, v in verdict.items() if k != "beyond_lateness"}
            if json.loads(duck[3]) != counts:
                raise SystemExit(f"{path}: DuckDB counts {duck[3]} != accord's {counts}")
            duckdb_rows.append((size, int(duck[0]) / float(duck[1]), events / audit_s,
                                int(duck[2]), audit_rss))
    print(f"{'events':>9} {'MB':>6} {'parse lines/s':>13} {'audit events/s':>14} {'ratio':>5} "
          f"{'feed s':>6} {'report s':>8} {'keys':>8} {'parse peak MB':>13} "
          f"{'audit RSS after feed MB':>23} {'audit peak MB':>13} {'B/key':>6}")
    for size, mb, parse_rate, parse_rss, rate, rss, feed_s, report_s, keys, state_kb, _ in rows:
        per_key = (state_kb - parse_rss) * 1024 / keys
        print(f"{size:>9} {mb:>6.0f} {parse_rate:>13,.0f} {rate:>14,.0f} "
              f"{rate / parse_rate:>5.2f} {feed_s:>6.2f} {report_s:>8.2f} {keys:>8} "
              f"{parse_rss / 1024:>13.0f} {state_kb / 1024:>23.0f} {rss / 1024:>13.0f} "
              f"{per_key:>6.0f}")
    print(f"\n{'events':>9} {'audit settings':<16} {'events/s':>10} {'ratio':>5} {'peak MB':>7}")
    for size, name, rate, parse_rate, rss in variants:
        print(f"{size:>9} {name:<16} {rate:>10,.0f} {rate / parse_rate:>5.2f} {rss / 1024:>7.0f}")
    if duckdb_rows:
        print(f"\n{'events':>9} {'DuckDB 1 thread events/s':>24} {'accord events/s':>15} "
              f"{'accord/DuckDB':>13} {'DuckDB peak MB':>14} {'accord peak MB':>14}  "
              "(same counts, checked)")
        for size, duck_rate, rate, duck_rss, rss in duckdb_rows:
            print(f"{size:>9} {duck_rate:>24,.0f} {rate:>15,.0f} {rate / duck_rate:>13.2f} "
                  f"{duck_rss / 1024:>14.0f} {rss / 1024:>14.0f}")
    for size, *_, summary in rows:
        print(f"{size}: {json.dumps(summary)}")


if __name__ == "__main__":
    main()
