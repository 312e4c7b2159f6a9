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
