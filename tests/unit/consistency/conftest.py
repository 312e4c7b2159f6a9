"""A hand-made event stream with every outcome of the engine, and helpers to build events."""

from __future__ import annotations

from typing import Any

import pytest


def ev(
    type_: str, id_: str, key: str | None, time: str, **data: Any
) -> dict[str, Any]:
    """A structured CloudEvent with just what the engine reads."""
    event: dict[str, Any] = {"specversion": "1.0", "type": type_, "id": id_, "time": time,
                             "source": "/test"}
    if key is not None:
        event["partitionkey"] = key
    event["data"] = data
    return event


def T(clock: str, offset: str = "Z") -> str:
    """``2026-01-01T<clock><offset>``."""
    return f"2026-01-01T{clock}{offset}"


ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"


def scenario_events() -> list[dict[str, Any]]:
    """Every outcome once or twice; expected report computed by hand in test_engine.py.

    Limits: 60 s for both expectations; window end 00:10:00Z (the tick event).
    """
    same = {"city": "X"}
    return [
        # ok: invoice after 10 s, delivery after 20 s (time written at +02:00)
        ev(ORDER, "o-ok", "ok", T("00:00:00"), shippingAddress=same),
        ev(INVOICE, "i-ok", "ok", T("00:00:10")),
        ev(DELIVERY, "d-ok", "ok", T("02:00:20", "+02:00"), address=same),
        # late invoice (90 s), delivery ok (30 s)
        ev(ORDER, "o-late", "late", T("00:00:00")),
        ev(INVOICE, "i-late", "late", T("00:01:30")),
        ev(DELIVERY, "d-late", "late", T("00:00:30")),
        # nothing follows: missing for both
        ev(ORDER, "o-missing", "missing", T("00:00:00")),
        # too recent to tell: pending for both (T0 + 60 s = 00:10:30 > window end)
        ev(ORDER, "o-pending", "pending", T("00:09:30")),
        # two distinct invoices: duplicated (latency from the first, 5 s)
        ev(ORDER, "o-dup", "dup", T("00:00:00")),
        ev(INVOICE, "i-dup-1", "dup", T("00:00:05")),
        ev(INVOICE, "i-dup-2", "dup", T("00:00:07")),
        ev(DELIVERY, "d-dup", "dup", T("00:00:05")),
        # the same trigger and invoice twice (same ids): redelivered, not violations
        ev(ORDER, "o-redeliv", "redeliv", T("00:00:00")),
        ev(ORDER, "o-redeliv", "redeliv", T("00:00:00")),
        ev(INVOICE, "i-redeliv", "redeliv", T("00:00:02")),
        ev(INVOICE, "i-redeliv", "redeliv", T("00:00:02")),
        ev(DELIVERY, "d-redeliv", "redeliv", T("00:00:02")),
        # invoice stamped before its order: clock skew, latency 0; delivery after 50 ms
        ev(ORDER, "o-skew", "skew", T("00:01:00")),
        ev(INVOICE, "i-skew", "skew", T("00:00:59.500")),
        ev(DELIVERY, "d-skew", "skew", T("00:01:00.050")),
        # delivery to another address than the order's: mismatched
        ev(ORDER, "o-mismatch", "mismatch", T("00:00:00"), shippingAddress={"city": "A"}),
        ev(INVOICE, "i-mismatch", "mismatch", T("00:00:01")),
        ev(DELIVERY, "d-mismatch", "mismatch", T("00:00:03"), address={"city": "B"}),
        # two distinct trigger events for one key: duplicate_triggers; T0 is the earliest
        ev(ORDER, "o-duptrig-1", "duptrig", T("00:00:00")),
        ev(ORDER, "o-duptrig-2", "duptrig", T("00:00:03")),
        ev(INVOICE, "i-duptrig", "duptrig", T("00:00:04")),
        ev(DELIVERY, "d-duptrig", "duptrig", T("00:00:04")),
        # no trigger at all: orphaned (1 invoice; 2 distinct deliveries)
        ev(INVOICE, "i-orphan", "orphan", T("00:02:00")),
        ev(DELIVERY, "d-orphan-1", "orphan2", T("00:03:00")),
        ev(DELIVERY, "d-orphan-2", "orphan2", T("00:04:00")),
        # another type: only moves the window end
        ev("audit.tick", "tick", None, T("00:10:00")),
    ]


@pytest.fixture
def scenario() -> list[dict[str, Any]]:
    return scenario_events()


@pytest.fixture(scope="session")
def kit() -> Any:
    """The helpers above, for test modules (conftest modules are not importable by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        ev=ev, T=T, scenario=scenario_events, ORDER=ORDER, INVOICE=INVOICE, DELIVERY=DELIVERY
    )
