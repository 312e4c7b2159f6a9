"""The SLA table printed on a terminal (``accord audit``, ``accord demo``, the pytest summary)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord._durations import format_duration
from accord.report._model import (
    SLA_COLUMNS,
    estimate_note,
    incomplete,
    kind_totals,
    shorten,
    sla_rows,
    verdict_kind,
    violation_total,
    violations,
    warning_lines,
)

__all__ = ["terminal_table", "verdict_heading", "verdict_line", "verdict_tone"]

#: Columns that hold text and are left-aligned; the others are numbers, right-aligned.
_LEFT = frozenset({"type"})


def verdict_line(report: Mapping[str, Any]) -> str:
    """One line: ``CONSISTENT: ...``, ``NOT CONSISTENT: ...`` or ``INCOMPLETE: ...``.

    Args:
        report: a report dict in the ``report.json`` shape.
    """
    triggers = int(report.get("triggers") or 0)
    trigger = shorten(report.get("trigger") or "", 60)
    total = violation_total(report)
    basis = f"{triggers} {trigger + ' ' if trigger else ''}trigger{'s' if triggers != 1 else ''}"
    reasons = incomplete(report)
    if reasons:
        return (
            f"INCOMPLETE: the topics lost or replaced records while they were read "
            f"({len(reasons)} reason{'s' if len(reasons) != 1 else ''} listed); {total} "
            f"violation{'s' if total != 1 else ''} counted over {basis} prove nothing either way"
        )
    kind = verdict_kind(report)
    why = shorten(report.get("nothing_decided") or "", 400)
    if kind == "nothing_decided":
        return f"NOTHING DECIDED: {why}"
    if kind == "pending":
        pending = sum(row.pending for row in sla_rows(report))
        return f"NOT CONSISTENT: {pending} pending (--fail-on-pending) over {basis}"
    if kind == "consistent":
        if why:
            return f"NOTHING DECIDED (allowed by --allow-empty): {why}"
        return f"CONSISTENT: {basis}, {total} violations"
    kinds = ", ".join(f"{count} {kind}" for kind, count in kind_totals(report).items())
    detail = f" ({kinds})" if kinds else ""
    return f"NOT CONSISTENT: {total} violation{'s' if total != 1 else ''}{detail} over {basis}"


def verdict_heading(report: Mapping[str, Any]) -> tuple[str, str]:
    """The verdict line split in two: its status words (``CONSISTENT``, ``NOT CONSISTENT``,
    ``NOTHING DECIDED``, ``INCOMPLETE`` when the report is ``incomplete``) for a heading, and
    the rest.

    Args:
        report: a report dict in the ``report.json`` shape.
    """
    status, _, summary = verdict_line(report).partition(": ")
    return status, summary


def verdict_tone(report: Mapping[str, Any]) -> str:
    """How a report's verdict is coloured: ``ok`` only for a pass that decided something,
    ``undecided`` when nothing was decided (allowed by ``--allow-empty`` or not), ``bad``
    otherwise (violations, pending with ``--fail-on-pending``, an incomplete history).

    Args:
        report: a report dict in the ``report.json`` shape.
    """
    kind = verdict_kind(report)  # not_consistent for an incomplete report
    if kind in ("not_consistent", "pending"):
        return "bad"
    if kind == "nothing_decided" or report.get("nothing_decided"):
        return "undecided"
    return "ok"


def terminal_table(report: Mapping[str, Any], *, max_violations: int = 10) -> str:
    """Render the report as an aligned plain-text table for a terminal.

    One row per expectation (limit, outcome counts, p50/p90/p99/max latency), then up to
    ``max_violations`` violation lines with ``... and K more`` for the rest, then the verdict
    line. Text from events (keys, details) has its control characters escaped, so a hostile
    key cannot move the cursor.

    Args:
        report: a report dict in the ``report.json`` shape.
        max_violations: how many violations to list at most.

    Returns:
        The table, lines joined by ``\\n``, without a trailing newline.
    """
    rows = [list(SLA_COLUMNS)] + [row.cells() for row in sla_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(SLA_COLUMNS))]
    lines: list[str] = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column in _LEFT else cell.rjust(width)
            for cell, width, column in zip(row, widths, SLA_COLUMNS, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    if len(rows) == 1:
        lines.append("(no expectations)")
    note = estimate_note(report)
    if note:
        lines.append(note)

    listed = violations(report)
    total = violation_total(report)
    if total:
        lines.append("")
        lines.append("violations:")
        shown = listed[: max(max_violations, 0)]
        kind_width = max((len(shorten(item.get("kind", "?"), 20)) for item in shown), default=0)
        type_width = max((len(shorten(item.get("type", "?"), 40)) for item in shown), default=0)
        for item in shown:
            kind = shorten(item.get("kind", "?"), 20).ljust(kind_width)
            event_type = shorten(item.get("type", "?"), 40).ljust(type_width)
            key = shorten(item.get("key", "?"), 60)
            detail = shorten(item.get("detail", ""), 120)
            lines.append(f"  {kind}  {event_type}  key={key}  {detail}".rstrip())
        if total > len(shown):
            lines.append(f"  ... and {total - len(shown)} more")
    beyond = report.get("beyond_lateness") or 0
    if beyond:
        lateness = report.get("lateness_s")
        lines.append("")
        lines.append(
            f"warning: {beyond} events arrived more than {format_duration(lateness)} behind "
            "the latest time read and could not move a finalized key's earliest time; "
            "rerun with --lateness inf "
            "for an exact verdict"
        )
    reasons = incomplete(report)
    if reasons:
        lines.append("")
        lines.append("incomplete:")
        lines.extend(f"  {shorten(reason, 300)}" for reason in reasons[: max(max_violations, 1)])
        if len(reasons) > max(max_violations, 1):
            lines.append(f"  ... and {len(reasons) - max(max_violations, 1)} more")
    notes = warning_lines(report, limit=400)
    if notes:
        lines.append("")
        lines += notes
    lines.append("")
    lines.append(verdict_line(report))
    return "\n".join(lines)
