"""report.md for a pull-request comment."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accord.report import render_markdown

pytestmark = pytest.mark.unit


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the table under ``heading``, split on unescaped pipes."""
    lines = text.splitlines()
    start = lines.index(heading) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_consistent(consistent_report: dict[str, Any]) -> None:
    text = render_markdown(consistent_report)

    assert text.splitlines()[0] == "## accord consistency: CONSISTENT"
    assert "**CONSISTENT**: 3 order.accepted triggers, 0 violations" in text
    header, align, *rows = table_rows(text, "### Expectations")
    assert header[:3] == ["type", "within", "ok"]
    assert align[1] == "---:"
    assert rows[0] == [
        "`invoice.created`", "60s", "3", "0", "0", "0", "0", "0", "0", "250ms", "800ms",
        "800ms", "800ms",
    ]  # fmt: skip
    assert "### Violations" not in text
    assert "Regressions" not in text and "regressions" not in text


def test_violations_and_regressions(regressions_report: dict[str, Any]) -> None:
    text = render_markdown(regressions_report, max_violations=4)

    assert text.startswith("## accord consistency: NOT CONSISTENT\n")
    assert "**NOT CONSISTENT**: 11 violations (5 late, 2 missing" in text
    _, _, *violations = table_rows(text, "### Violations")
    assert len(violations) == 4
    assert violations[0] == [
        "`late`", "`invoice.created`", "`0b7d4c1e-0000-4000-8000-000000000000`",
        "`latency 75.2s > limit 60s`",
    ]  # fmt: skip
    assert "... and 7 more (see report.json)." in text
    _, _, *regressions = table_rows(text, "### Regressions against the baseline")
    assert regressions[1] == [
        "`invoice.created`", "`latency_s.p99`", "`1.92`", "`130.5`",
        "`invoice.created p99 worse: 1.92s -> 130.5s (tolerance 10%)`",
    ]  # fmt: skip


def test_no_emoji(violations_report: dict[str, Any]) -> None:
    assert render_markdown(violations_report).isascii()


def test_hostile_strings_stay_in_code_spans(hostile_report: dict[str, Any]) -> None:
    text = render_markdown(hostile_report, max_violations=50)

    _, _, *rows = table_rows(text, "### Violations")
    assert len(rows) == 11
    assert all(len(row) == 4 for row in rows)  # no pipe or newline split a row
    for row in rows:
        for cell in row:
            fence = re.match(r"`+", cell)
            assert fence is not None and cell.endswith(fence.group()), cell
    assert "\x1b" not in text and "\x00" not in text
    # The longest run of backticks inside is 2, so the fence is 3.
    assert "``` pipe\\|in\\|key `tick` ``two`` ```" in text
    outside = re.sub(r"(`+).*?\1", "", text)
    assert "<script>" not in outside and "@octocat" not in outside and "<b>" not in outside


def test_nothing_decided_heads_the_comment(nothing_decided_report: dict[str, Any]) -> None:
    text = render_markdown(nothing_decided_report)

    assert text.splitlines()[:5] == [
        "## accord consistency: NOTHING DECIDED",
        "",
        "**NOTHING DECIDED**: all 3 invoice.created outcomes are pending: the window ends at "
        "2026-11-26T14:10:00Z, before the earliest deadline 2026-11-26T14:10:30Z (if the "
        "history is finished, audit it with --complete)",
        "",
        "Trigger `order.accepted`; window end `2026-11-26T14:10:00Z` (open)",
    ]
    assert "- `warning: no event of type 'invoice.created'; read: order.accepted, " in text
    assert "- `pending: 3 invoice.created (3 not decided, not violations): their limit " in text
    assert "- `read: 6 events: 3 order.accepted, 3 delivery.created`" in text
    assert "window: " not in text  # "(open)" says it


def test_pending_dead_letters_and_a_closed_window(pending_report: dict[str, Any]) -> None:
    text = render_markdown(pending_report, max_violations=50)

    assert "- `warning: key mismatch: 3 invoice.created events have keys no order.accepted " in text
    assert "- `warning: 2 dead-letter events could not be read " in text
    assert "the earliest becomes missing at 2026-11-26T14:10:20Z" in text
    _, _, *rows = table_rows(text, "### Violations")
    assert [row[:3] for row in rows[-2:]] == [
        ["`dead_lettered`", "`order.accepted`", "`order-dlq`"],
        ["`untriggered`", "`order.accepted`", "`order-lost`"],
    ]
    assert rows[-2][3].startswith("`a consumer dead-lettered order.accepted (order/0@7): ")

    closed = render_markdown({**pending_report, "complete": True})
    assert "; window end `2026-11-26T14:10:00Z` (closed)" in closed
    assert (
        "- `window: closed (--complete): the events read are the whole history up to "
        "2026-11-26T14:10:00Z; a key without a match is missing, never pending`"
    ) in closed


def test_an_incomplete_history_is_named(consistent_report: dict[str, Any]) -> None:
    text = render_markdown({**consistent_report, "incomplete": ["topic order was recreated"]})

    assert text.startswith("## accord consistency: INCOMPLETE\n")
    assert "- `incomplete: topic order was recreated`" in text
