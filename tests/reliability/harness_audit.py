"""The end of every scenario: read the topics, audit them with ``accord audit``, count the cost.

The audit runs as a user runs it: every event of the scenario's orders read from the topics
into ``events.jsonl``, then ``accord audit events.jsonl --trigger order.accepted --expect
invoice.created=L --expect delivery.created=L --until NOW``, and its ``report.json`` is read.
The orders judged are the system of record's: every order the order database holds (which
includes every order answered 201, checked separately), given to the audit as
``--accepted accepted.jsonl``. An order of that list whose ``order.accepted`` is not on the
topic is *untriggered*: accord reports it by name (checked here against the topics), and it
counts as lost with the rest of its events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from accord.cli import main as accord
from accord.consistency import eventually
from accord.sources import KafkaSource

TRIGGER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
EXPECTED = (INVOICE, DELIVERY)


@dataclass
class Verdict:
    """What a scenario cost, from the audit report and the order database."""

    orders: int
    report: dict[str, Any]
    exit_code: int
    untriggered: list[str]
    missing: dict[str, list[str]]  # order id -> expected types the audit reports missing
    late: dict[str, list[str]]  # order id -> expected types that came late
    report_dir: Path
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> dict[str, list[str]]:
        """Order id -> every event of it that never reached the topics."""
        lost = {key: [TRIGGER, *EXPECTED] for key in self.untriggered}
        for key, kinds in self.missing.items():
            lost.setdefault(key, []).extend(k for k in kinds if k not in lost[key])
        return lost

    @property
    def duplicated(self) -> int:
        """Orders with a second distinct invoice/delivery/acceptance (not a redelivered copy)."""
        counts = [e["duplicated"] for e in self.report["expectations"].values()]
        return sum(counts) + int(self.report["duplicate_triggers"])

    @property
    def redelivered(self) -> int:
        counts = [e["redelivered"] for e in self.report["expectations"].values()]
        return sum(counts) + int(self.report.get("redelivered_triggers", 0))

    def latency(self, kind: str, quantile: str = "max") -> float:
        return float(self.report["expectations"][kind]["latency_s"][quantile])

    def summary(self) -> dict[str, Any]:
        """The figures docs/reliability.md reports for a scenario."""
        return {
            "orders": self.orders,
            "lost": len(self.lost),
            "duplicated": self.duplicated,
            "late": len(self.late),
            "redelivered": self.redelivered,
            "latency_max_s": round(max(self.latency(k) for k in EXPECTED), 2),
            "latency_p99_s": round(max(self.latency(k, "p99") for k in EXPECTED), 2),
            **self.figures,
        }


def read_events(
    bootstrap_servers: str,
    topics: Iterable[str] = ("order", "invoice", "delivery"),
) -> list[dict[str, Any]]:
    """Every CloudEvent of ``topics`` up to their high-water marks."""
    source = KafkaSource(bootstrap_servers, list(topics), idle_timeout_s=60)
    return [event for event, _ in source]


def audit(
    bootstrap_servers: str,
    order_ids: Iterable[str],
    within_s: float,
    out_dir: Path,
    *,
    events: list[dict[str, Any]] | None = None,
) -> Verdict:
    """Audit the scenario's orders with ``accord audit`` over the events on the topics."""
    wanted = set(order_ids)
    if events is None:
        events = read_events(bootstrap_servers)
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out_dir / "events.jsonl"
    with jsonl.open("wb") as out:
        for event in events:
            if event.get("partitionkey") in wanted:
                out.write(orjson.dumps(event) + b"\n")
    accepted = out_dir / "accepted.jsonl"
    accepted.write_bytes(b"".join(orjson.dumps(key) + b"\n" for key in sorted(wanted)))
    until = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    report_dir = out_dir / "report"
    code = accord([
        "audit", str(jsonl), "--trigger", TRIGGER,
        "--expect", f"{INVOICE}={within_s}s", "--expect", f"{DELIVERY}={within_s}s",
        "--until", until, "--lateness", "inf", "--accepted", str(accepted),
        "--report-dir", str(report_dir), "--format", "json",
    ])  # fmt: skip
    assert code in (0, 1), f"accord audit could not read the events (exit {code})"
    report = json.loads((report_dir / "report.json").read_text())
    triggered = {e["partitionkey"] for e in events if e.get("type") == TRIGGER}
    untriggered = sorted(v["key"] for v in report["violations"] if v["kind"] == "untriggered")
    assert untriggered == sorted(wanted - triggered), "accord's reconciliation differs"
    assert report["accepted"] == len(wanted)
    missing: dict[str, list[str]] = {}
    late: dict[str, list[str]] = {}
    for violation in report["violations"]:
        if violation["kind"] == "missing":
            missing.setdefault(violation["key"], []).append(violation["type"])
        elif violation["kind"] == "late":
            late.setdefault(violation["key"], []).append(violation["type"])
    return Verdict(
        orders=len(wanted),
        report=report,
        exit_code=code,
        untriggered=untriggered,
        missing=missing,
        late=late,
        report_dir=report_dir,
    )


def settle(system: Any, order_ids: Iterable[str], within_s: float) -> float:
    """Wait until every order has its delivery and invoice and every outbox is drained.

    Returns:
        Seconds it took (the scenario's recovery time when called right after the last fault).
    """
    import time

    wanted = set(order_ids)
    started = time.monotonic()

    def done() -> bool:
        for name in ("shipping", "invoicing"):
            rows = system.rows_per_order(name)
            lacking = wanted - rows.keys()
            assert not lacking, f"{name}: {len(lacking)} of {len(wanted)} orders not handled yet"
        for name in ("order", "shipping", "invoicing"):
            assert system.unsent(name) == 0, f"{name}: outbox rows unsent"
        return True

    eventually(done, within=within_s, interval=0.25, message="every order shipped and invoiced")
    return time.monotonic() - started
