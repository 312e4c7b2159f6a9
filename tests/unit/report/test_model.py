"""Reading reports: durations, SLA rows, verdict and totals."""

from __future__ import annotations

from typing import Any

import pytest

from accord.report import SLA_COLUMNS, format_duration, sla_rows
from accord.report._model import clean_text, kind_totals, regressions, verdict, violation_total

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (0.0000425, "42us"),
        (0.0025, "2.5ms"),
        (0.42, "420ms"),
        (1.0, "1s"),
        (2.2, "2.2s"),
        (12.34, "12.3s"),
        (60.0, "60s"),
        (130.5, "2m10s"),
        (300, "5m"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400 * 3 + 3600 * 4, "3d4h"),
        (float("nan"), "-"),
        ("not a number", "-"),
    ],
)
def test_format_duration(seconds: Any, text: str) -> None:
    assert format_duration(seconds) == text


def test_sla_rows_read_counts_and_latencies(violations_report: dict[str, Any]) -> None:
    rows = sla_rows(violations_report)

    assert [row.type for row in rows] == ["invoice.created", "delivery.created"]
    invoice = rows[0]
    assert (invoice.within_s, invoice.ok, invoice.late, invoice.missing) == (60.0, 190, 5, 1)
    assert (invoice.pending, invoice.orphaned, invoice.redelivered) == (4, 1, 7)
    assert (invoice.count, invoice.p50, invoice.p99, invoice.max) == (195, 0.42, 130.5, 244.8)
    assert invoice.violations == 7
    assert invoice.cells() == [
        "invoice.created", "60s", "190", "5", "1", "4", "0", "1", "0", "420ms", "1.8s", "2m10s",
        "4m05s",
    ]  # fmt: skip
    assert len(invoice.cells()) == len(SLA_COLUMNS)


def test_latencies_are_none_while_nothing_matched() -> None:
    report = {
        "expectations": {
            "invoice.created": {"within_s": 60, "pending": 3, "latency_s": {"count": 0, "p50": 0}}
        }
    }

    (row,) = sla_rows(report)

    assert (row.p50, row.p99, row.max) == (None, None, None)
    assert row.cells()[-3:] == ["-", "-", "-"]


def test_totals_count_beyond_the_listed_violations(violations_report: dict[str, Any]) -> None:
    violations_report["violations"] = violations_report["violations"][:2]

    assert violation_total(violations_report) == 11
    assert kind_totals(violations_report) == {
        "late": 5, "missing": 2, "duplicated": 1, "orphaned": 1, "mismatched": 1,
        "duplicate_trigger": 1,
    }  # fmt: skip


def test_verdict_prefers_the_reports_own_flag(consistent_report: dict[str, Any]) -> None:
    assert verdict(consistent_report) is True
    consistent_report["consistent"] = False
    assert verdict(consistent_report) is False
    del consistent_report["consistent"]
    assert verdict(consistent_report) is True


def test_regressions_accept_both_key_spellings() -> None:
    report = {
        "regressions": [
            {"type": "invoice.created", "field": "late", "old": 0, "new": 5, "message": "m"},
            {"kind": "p99", "type": "invoice.created", "field": "p99", "baseline": 1.5,
             "current": 3.25, "detail": "p99 3.25s, baseline 1.5s"},
        ]
    }  # fmt: skip

    first, second = regressions(report) or []

    assert (first.field, first.old, first.new, first.message) == ("late", 0, 5, "m")
    assert (second.old, second.new, second.message) == (1.5, 3.25, "p99 3.25s, baseline 1.5s")
    assert regressions({}) is None


def test_clean_text_escapes_control_characters() -> None:
    assert clean_text("a\x1b[31mb\x00c\ud800d\te\nf") == "a\\x1b[31mb\\x00c\\xd800d\te\nf"
