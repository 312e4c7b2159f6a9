"""Hand-built reports in the report.json shape, for the renderer tests.

``data/*.json`` are written by hand (their numbers agree with each other: outcome counts add
up to the triggers, histogram counts to ``latency_s.count``); the hostile and the large
report are derived from them here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"

#: Strings an attacker who can publish an event could put in a key or a detail.
HOSTILE_KEYS = [
    "<script>alert('key')</script>",
    '"><img src=x onerror=alert(1)>',
    "pipe|in|key `tick` ``two``",
    "@octocat [link](javascript:alert(1)) **bold**",
    "\x1b[31mred\x1b[0m\x00nul\x07bell",
    "line\nbreak\r\nand ]]> &amp; \ud800",
]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def consistent_report() -> dict[str, Any]:
    """3 orders, every invoice and delivery in time."""
    return load("consistent")


@pytest.fixture
def violations_report() -> dict[str, Any]:
    """200 orders with one violation of every kind (5 late)."""
    return load("violations")


@pytest.fixture
def regressions_report() -> dict[str, Any]:
    """The violations report compared with a baseline: two regressions."""
    return load("regressions")


@pytest.fixture
def hostile_report() -> dict[str, Any]:
    """Violations whose keys, details and even event types are hostile strings."""
    report = load("violations")
    hostile_type = "<b>invoice</b>.created"
    report["expectations"][hostile_type] = report["expectations"].pop("invoice.created")
    for index, item in enumerate(report["violations"]):
        item["key"] = HOSTILE_KEYS[index % len(HOSTILE_KEYS)]
        item["detail"] = HOSTILE_KEYS[(index + 1) % len(HOSTILE_KEYS)]
        if item["type"] == "invoice.created":
            item["type"] = hostile_type
    report["regressions"] = [
        {"type": hostile_type, "field": "<i>late</i>", "old": 0, "new": 5,
         "message": HOSTILE_KEYS[0]},
    ]  # fmt: skip
    return report


@pytest.fixture
def many_violations_report() -> dict[str, Any]:
    """5000 late invoices over two hours: the report a broken night produces."""
    report = load("violations")
    base = report["violations"][0]
    listed = []
    for index in range(5000):
        item = copy.deepcopy(base)
        minutes, seconds = divmod(index * 7 // 5, 60)
        item["key"] = f"order-{index:05d}"
        item["time"] = f"2026-11-26T{14 + minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}Z"
        listed.append(item)
    report["violations"] = listed
    stats = report["expectations"]["invoice.created"]
    stats.update(late=5000, missing=0, orphaned=0)
    report["expectations"]["delivery.created"].update(missing=0, duplicated=0, mismatched=0)
    report["duplicate_triggers"] = 0
    report["triggers"] = 6000
    return report


@pytest.fixture
def nothing_decided_report() -> dict[str, Any]:
    """The consistent report as an open window sees it when no invoice was read: every
    invoice pending, a warning that no ``invoice.created`` was read, nothing decided."""
    report = load("consistent")
    stats = report["expectations"]["invoice.created"]
    stats.update(ok=0, pending=3, redelivered=0, decided=0)
    stats["pending_deadline"] = "2026-11-26T14:10:30Z"
    stats["latency_s"] = dict.fromkeys(("p50", "p90", "p95", "p99", "max"), 0.0) | {"count": 0}
    stats["histogram"]["counts"] = [0] * len(stats["histogram"]["counts"])
    # what the engine writes for an expectation without a decided key
    stats["consistent_within"] = dict.fromkeys(stats["consistent_within"], 1.0)
    report["expectations"]["delivery.created"]["decided"] = 3
    report.update(
        complete=False,
        events=6,
        types_read={"order.accepted": 3, "delivery.created": 3},
        warnings=[{
            "kind": "unseen_type",
            "type": "invoice.created",
            "detail": "no event of type 'invoice.created'; read: order.accepted, delivery.created",
        }],
        nothing_decided=(
            "all 3 invoice.created outcomes are pending: the window ends at "
            "2026-11-26T14:10:00Z, before the earliest deadline 2026-11-26T14:10:30Z (if the "
            "history is finished, audit it with --complete)"
        ),
        verdict="nothing_decided",
        consistent=False,
    )  # fmt: skip
    return report


@pytest.fixture
def pending_report() -> dict[str, Any]:
    """The violations report of an open window with pending keys (each expectation its own
    earliest deadline), a dead-lettered trigger, an untriggered order and two warnings."""
    report = load("violations")
    report["expectations"]["invoice.created"]["pending_deadline"] = "2026-11-26T14:10:40Z"
    report["expectations"]["delivery.created"]["pending_deadline"] = "2026-11-26T14:10:20Z"
    report["violations"] += [
        {"kind": "dead_lettered", "type": "order.accepted", "key": "order-dlq",
         "time": "2026-11-26T14:03:00Z", "reason": "UnprocessableEvent: /data/lines: missing",
         "origin": "order/0@7",
         "detail": "a consumer dead-lettered order.accepted (order/0@7): UnprocessableEvent: "
                   "/data/lines: missing"},
        {"kind": "untriggered", "type": "order.accepted", "key": "order-lost",
         "time": "2026-11-26T14:03:30Z",
         "detail": "order order-lost was accepted at 2026-11-26T14:03:30Z but no "
                   "order.accepted with this key was read"},
    ]  # fmt: skip
    report.update(
        complete=False,
        events=612,
        types_read={"order.accepted": 201, "invoice.created": 205, "delivery.created": 206},
        dead_lettered=1,
        untriggered=1,
        accepted=201,
        dead_letters_unread=2,
        warnings=[{
            "kind": "key_mismatch",
            "type": "invoice.created",
            "detail": "key mismatch: 3 invoice.created events have keys no order.accepted has",
        }],
        nothing_decided=None,
        verdict="not_consistent",
    )  # fmt: skip
    return report
