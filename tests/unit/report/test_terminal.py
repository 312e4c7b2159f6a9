"""The terminal SLA table: alignment, violation lines, verdict, hostile keys."""

from __future__ import annotations

from typing import Any

import pytest

from accord.report import SLA_COLUMNS, terminal_table, verdict_line

pytestmark = pytest.mark.unit


def test_consistent_table(consistent_report: dict[str, Any]) -> None:
    lines = terminal_table(consistent_report).splitlines()

    assert lines[0].split() == list(SLA_COLUMNS)
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == [
        "invoice.created", "60s", "3", "0", "0", "0", "0", "0", "0", "250ms", "800ms",
        "800ms", "800ms",
    ]  # fmt: skip
    assert "violations:" not in lines
    assert lines[-1] == "CONSISTENT: 3 order.accepted triggers, 0 violations"


def test_columns_are_aligned(violations_report: dict[str, Any]) -> None:
    header, rule, *rows = terminal_table(violations_report).splitlines()[:4]

    # Numbers are right-aligned under their heading, the type left-aligned.
    for column in ("within", "late", "mismatched", "p99", "max"):
        end = header.index(column) + len(column)
        for row in rows:
            assert row[end - 1] != " ", (column, row)
            assert end == len(row) or row[end] == " ", (column, row)
    assert all(row.startswith(("invoice.created ", "delivery.created")) for row in rows)
    assert len(rule) == len(header)


def test_violations_are_listed_up_to_the_cap(violations_report: dict[str, Any]) -> None:
    text = terminal_table(violations_report, max_violations=3)
    lines = text.splitlines()

    listed = lines[lines.index("violations:") + 1 : lines.index("violations:") + 4]
    assert [line.split()[:3] for line in listed] == [
        ["late", "invoice.created", "key=0b7d4c1e-0000-4000-8000-000000000000"]
    ] * 1 + [["late", "invoice.created", "key=0b7d4c1e-0000-4000-8000-000000000001"]] + [
        ["late", "invoice.created", "key=0b7d4c1e-0000-4000-8000-000000000002"]
    ]
    assert listed[0].endswith("latency 75.2s > limit 60s")
    assert "  ... and 8 more" in lines
    assert lines[-1] == (
        "NOT CONSISTENT: 11 violations (5 late, 2 missing, 1 duplicated, 1 orphaned, "
        "1 mismatched, 1 duplicate_trigger) over 200 order.accepted triggers"
    )


def test_more_counts_than_listed_violations(many_violations_report: dict[str, Any]) -> None:
    many_violations_report["violations"] = many_violations_report["violations"][:100]

    text = terminal_table(many_violations_report)

    assert "  ... and 4990 more" in text.splitlines()
    assert verdict_line(many_violations_report).startswith("NOT CONSISTENT: 5000 violations")


def test_hostile_keys_cannot_drive_the_terminal(hostile_report: dict[str, Any]) -> None:
    text = terminal_table(hostile_report, max_violations=100)

    assert "\x1b" not in text
    assert "\x00" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b[31mred" in text
    # Every violation stays on its own line despite the newline in a key.
    lines = text.splitlines()
    start = lines.index("violations:") + 1
    assert len([line for line in lines[start:] if line.startswith("  ")]) == 11


def test_no_expectations() -> None:
    text = terminal_table({"trigger": "order.accepted", "consistent": True})

    assert "(no expectations)" in text
    assert text.endswith("CONSISTENT: 0 order.accepted triggers, 0 violations")


def test_a_sparse_report_still_renders() -> None:
    text = terminal_table({"expectations": ["not", "a", "mapping"], "violations": [{"kind": "x"}]})

    assert "(no expectations)" in text
    assert "  x  ?  key=?" in text.splitlines()
    assert text.endswith("NOT CONSISTENT: 1 violation (1 x) over 0 triggers")


def test_events_beyond_the_lateness_horizon_are_a_warning_not_silence() -> None:
    report = {
        "trigger": "order.accepted",
        "triggers": 1,
        "duplicate_triggers": 0,
        "expectations": {},
        "violations": [],
        "consistent": True,
        "lateness_s": 300.0,
        "beyond_lateness": 2,
    }
    lines = terminal_table(report).splitlines()
    assert lines[-3] == (
        "warning: 2 events arrived more than 5m behind the latest time read and could not "
        "move a finalized key's earliest time; rerun with --lateness inf for an exact verdict"
    )
    del report["beyond_lateness"]
    assert not any(line.startswith("warning:") for line in terminal_table(report).splitlines())
