"""The report as Markdown for a pull-request comment (GitHub-flavoured tables)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.report._model import (
    SLA_COLUMNS,
    estimate_note,
    format_field,
    regressions,
    shorten,
    sla_rows,
    verdict_notes,
    violation_total,
    violations,
)
from accord.report._terminal import verdict_heading

__all__ = ["render_markdown"]

_BACKTICKS = re.compile(r"`+")


def _code(value: Any, limit: int = 120) -> str:
    """Untrusted text as an inline code span that is safe inside a table cell.

    A code span shows HTML, Markdown and ``@mentions`` literally; the fence is longer than any
    run of backticks inside, and ``|`` is escaped so it does not split the table cell
    (GitHub's table parser honours ``\\|`` inside code spans).
    """
    text = shorten(value, limit)
    if not text.strip():
        return "` `" if text else ""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    align = ["---:" if index in right else ":---" for index in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def render_markdown(report: Mapping[str, Any], *, max_violations: int = 20) -> str:
    """Render the report as Markdown for a pull-request comment.

    A heading with the status word (``CONSISTENT`` / ``NOT CONSISTENT`` / ``NOTHING
    DECIDED``, no emoji), the verdict line, the trigger and window end (closed or open), what
    the verdict rests on (an incomplete history, warnings, pending keys, a closed window, the
    types read), a table per expectation, the first ``max_violations`` violations and, when
    the report compares with a baseline, its regressions. Text from events is put in code
    spans, so keys such as ``<script>`` or ``@someone`` render literally.

    Args:
        report: a report dict in the ``report.json`` shape.
        max_violations: how many violations to list at most.

    Returns:
        The Markdown text, ending with a newline.
    """
    # the verdict line's own words: CONSISTENT, NOT CONSISTENT, NOTHING DECIDED, ...
    status, summary = verdict_heading(report)
    lines = [f"## accord consistency: {status}", "", f"**{status}**: {summary}"]
    window_end = report.get("window_end")
    trigger = report.get("trigger")
    complete = report.get("complete")
    facts = []
    if trigger:
        facts.append(f"Trigger {_code(trigger)}")
    if window_end:
        facts.append(f"{'w' if facts else 'W'}indow end {_code(window_end, 40)}")
        if isinstance(complete, bool):
            facts[-1] += " (closed)" if complete else " (open)"
    if facts:
        lines += ["", "; ".join(facts)]
    # an incomplete history, types never read, key mismatches, pending keys, a closed window,
    # the types read: what the verdict rests on (type names come from events, hence code
    # spans); an open window is said by "(open)" above
    notes = [
        f"{tag}: {text}"
        for tag, text in verdict_notes(report)
        if not (tag == "window" and complete is False)
    ]
    if notes:
        lines += [""] + [f"- {_code(text, 400)}" for text in notes]

    rows = sla_rows(report)
    lines += ["", "### Expectations", ""]
    if rows:
        table_rows = []
        for row in rows:
            cells = row.cells()
            cells[0] = _code(row.type, 80)
            table_rows.append(cells)
        lines += _table(list(SLA_COLUMNS), table_rows, set(range(1, len(SLA_COLUMNS))))
        note = estimate_note(report)
        if note:
            lines += ["", note]
    else:
        lines.append("No expectations.")

    listed = violations(report)
    total = violation_total(report)
    if total:
        shown = listed[: max(max_violations, 0)]
        lines += ["", "### Violations", ""]
        if shown:
            lines += _table(
                ["kind", "type", "key", "detail"],
                [
                    [
                        _code(item.get("kind", "?"), 30),
                        _code(item.get("type", "?"), 60),
                        _code(item.get("key", "?"), 60),
                        _code(item.get("detail", ""), 160),
                    ]
                    for item in shown
                ],
                set(),
            )
        if total > len(shown):
            lines += ["", f"... and {total - len(shown)} more (see report.json)."]

    compared = regressions(report)
    if compared:
        lines += ["", "### Regressions against the baseline", ""]
        lines += _table(
            ["type", "field", "old", "new", "message"],
            [
                [
                    _code(item.type, 60),
                    _code(item.field, 40),
                    _code(format_field(item.field, item.old), 30),
                    _code(format_field(item.field, item.new), 30),
                    _code(item.message, 200),
                ]
                for item in compared
            ],
            set(),
        )
    elif compared is not None:
        lines += ["", "No regressions against the baseline."]
    return "\n".join(lines) + "\n"
