"""The reference system with invoicing slowed on purpose: the audit names exactly the late orders.

Invoicing waits 1.5 s before each event, so with a 1 s limit every invoice is late, while
deliveries (shipping is not slowed) are all within 30 s.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.broker import EmbeddedBroker
from accord.cli import main
from accord.consistency import ConsistencyEngine, Expectation, eventually
from accord.sources import KafkaSource
from accord.system import ReferenceSystem, place_orders

pytestmark = pytest.mark.e2e

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
ORDERS = 4


def _arrived(broker: EmbeddedBroker) -> dict[str, Any]:
    """Audit the topics as they are now (no limits that matter: 1 h)."""
    engine = ConsistencyEngine(ORDER, [Expectation(INVOICE, 3600), Expectation(DELIVERY, 3600)])
    source = KafkaSource(broker.bootstrap_servers, ["order", "invoice", "delivery"],
                         consumer_config=broker.consumer_config())
    for event, _ in source:
        engine.add(event)
    return engine.report()


def test_slowed_invoicing_makes_exactly_the_invoices_late(
    fresh_broker: EmbeddedBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    with ReferenceSystem(fresh_broker, invoicing_delay_ms=1500, workdir=tmp_path / "sys") as system:
        placed = place_orders(system.urls["order"], ORDERS, seed=4)
        order_ids = sorted(order.order_id for order in placed)

        def all_arrived() -> dict[str, Any] | None:
            report = _arrived(fresh_broker)
            counts = {t: s["ok"] + s["late"] for t, s in report["expectations"].items()}
            return report if report["triggers"] == ORDERS and set(counts.values()) == {
                ORDERS} else None

        eventually(all_arrived, within=120, interval=0.5,
                   message=f"{ORDERS} orders, each with an invoice and a delivery")

    url = f"kafka://{fresh_broker.bootstrap_servers}/order,invoice,delivery"
    code = main(["audit", url, "--trigger", ORDER, "--expect", f"{INVOICE}=1s",
                 "--expect", f"{DELIVERY}=30s", "--report-dir", "reports"])
    assert code == 1
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    late = {(v["type"], v["key"]) for v in report["violations"] if v["kind"] == "late"}
    assert late == {(INVOICE, order_id) for order_id in order_ids}
    assert {v["kind"] for v in report["violations"]} == {"late"}
    delivery = report["expectations"][DELIVERY]
    assert (delivery["ok"], delivery["late"], delivery["missing"]) == (ORDERS, 0, 0)
    invoice = report["expectations"][INVOICE]
    assert invoice["late"] == ORDERS and invoice["latency_s"]["p50"] >= 1.5
    assert (tmp_path / "reports" / "report.html").is_file()
    out = capsys.readouterr().out
    assert "NOT CONSISTENT" in out

    # A limit between the queued invoices (1.5 s apart): the report names exactly the orders
    # whose invoice came later than 3.75 s, computed here from the raw records by hand.
    first: dict[tuple[str, str], datetime] = {}
    for event, _ in KafkaSource(fresh_broker.bootstrap_servers, ["order", "invoice"],
                                consumer_config=fresh_broker.consumer_config()):
        at = datetime.fromisoformat(event["time"])
        slot = (event["type"], event["partitionkey"])
        first[slot] = min(at, first.get(slot, at))
    oracle = {
        order_id for order_id in order_ids
        if first[(INVOICE, order_id)] - first[(ORDER, order_id)] > timedelta(seconds=3.75)
    }
    assert oracle, "the last queued invoice waits >= 4 x 1.5 s"
    assert main(["audit", url, "--trigger", ORDER, "--expect", f"{INVOICE}=3.75s",
                 "--report-dir", "tight", "--format", "json"]) == 1
    tight = json.loads((tmp_path / "tight" / "report.json").read_text())
    assert {v["key"] for v in tight["violations"] if v["kind"] == "late"} == oracle
    assert {v["kind"] for v in tight["violations"]} == {"late"}
