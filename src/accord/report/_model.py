"""Reading a report dict the way every renderer needs it.

The engine produces the report (see :mod:`accord.consistency`); renderers only read it. A
report may come from an older accord, a merge of partial reports or a hand-written test, so
everything optional is read defensively here once, and every renderer uses these helpers
instead of indexing the dict itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accord._durations import format_duration

__all__ = [
    "OUTCOMES",
    "QUANTILES",
    "SLA_COLUMNS",
    "VIOLATION_OUTCOMES",
    "Regression",
    "SlaRow",
    "clean_text",
    "counts_by_kind",
    "estimate_note",
    "format_count",
    "format_duration",
    "format_field",
    "format_number",
    "incomplete",
    "kind_totals",
    "parse_time",
    "pending_note",
    "read_note",
    "regressions",
    "shorten",
    "sla_rows",
    "verdict",
    "verdict_kind",
    "verdict_notes",
    "violation_total",
    "violations",
    "warning_lines",
    "warnings",
    "window_note",
]

#: Per expectation outcome counters, in the order every renderer shows them.
OUTCOMES: tuple[str, ...] = (
    "ok",
    "late",
    "missing",
    "pending",
    "duplicated",
    "orphaned",
    "mismatched",
)
#: The counters that are violations (``ok`` and ``pending`` are not).
VIOLATION_OUTCOMES: tuple[str, ...] = ("late", "missing", "duplicated", "orphaned", "mismatched")
#: The latency quantiles every view shows (terminal, Markdown, HTML, JUnit, demo summary).
QUANTILES: tuple[str, ...] = ("p50", "p90", "p99", "max")
#: Column headings of the SLA table, matching :meth:`SlaRow.cells`.
SLA_COLUMNS: tuple[str, ...] = ("type", "within", *OUTCOMES, *QUANTILES)
#: Violations counted per report (not per expectation), with the kind they list as.
REPORT_COUNTERS: tuple[tuple[str, str], ...] = (
    ("duplicate_triggers", "duplicate_trigger"),
    ("dead_lettered", "dead_lettered"),
    ("untriggered", "untriggered"),
)

# Characters that are not allowed in XML 1.0 (and that a terminal would interpret): C0/C1
# controls except tab and newline, lone surrogates, and the two non-characters.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class SlaRow:
    """One expectation's line of the SLA table: its limit, outcome counts and latencies.

    Latencies are ``None`` when no key has a match yet.
    """

    type: str
    within_s: float | None
    ok: int
    late: int
    missing: int
    pending: int
    duplicated: int
    orphaned: int
    mismatched: int
    redelivered: int
    clock_skew: int
    count: int
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None
    #: Why p50/p90/p99 are estimates (a merge without latencies), or ``None`` when exact.
    estimate: str | None = None

    @property
    def violations(self) -> int:
        """How many violations this expectation counts (late, missing, duplicated, ...)."""
        return sum(int(getattr(self, name)) for name in VIOLATION_OUTCOMES)

    def cells(self) -> list[str]:
        """The row as display strings, one per entry of :data:`SLA_COLUMNS`."""
        counts = [format_count(getattr(self, name)) for name in OUTCOMES]
        latencies = [
            ("~" if self.estimate and name != "max" and getattr(self, name) is not None else "")
            + format_duration(getattr(self, name))
            for name in QUANTILES
        ]
        return [clean_text(self.type), format_duration(self.within_s), *counts, *latencies]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sla_rows(report: Mapping[str, Any]) -> list[SlaRow]:
    """The SLA table's rows, one per expectation, in the report's order.

    Args:
        report: a report dict in the ``report.json`` shape.

    Returns:
        One :class:`SlaRow` per expectation. Latencies are ``None`` while no key has a match.
    """
    rows: list[SlaRow] = []
    expectations = report.get("expectations")
    if not isinstance(expectations, Mapping):
        return rows
    for name, stats in expectations.items():
        stats = stats if isinstance(stats, Mapping) else {}
        latency = stats.get("latency_s") or {}
        count = _int(latency.get("count"))

        def quantile(key: str, latency: Mapping[str, Any] = latency, count: int = count) -> Any:
            return _float(latency.get(key)) if count > 0 else None

        rows.append(
            SlaRow(
                type=str(name),
                within_s=_float(stats.get("within_s")),
                **{outcome: _int(stats.get(outcome)) for outcome in OUTCOMES},
                redelivered=_int(stats.get("redelivered")),
                clock_skew=_int(stats.get("clock_skew")),
                count=count,
                p50=quantile("p50"),
                p90=quantile("p90"),
                p95=quantile("p95"),
                p99=quantile("p99"),
                max=quantile("max"),
                estimate=(
                    str(stats.get("latency_error") or "quantiles estimated")
                    if stats.get("latency_exact") is False
                    else None
                ),
            )
        )
    return rows


def estimate_note(report: Mapping[str, Any]) -> str | None:
    """One sentence saying which quantiles are estimates and by how much they may be off.

    ``None`` when every figure is exact. A merged report whose partials did not carry their
    latencies has its p50/p90/p99 read from histograms; every view marks them with ``~``.
    """
    estimated = [row for row in sla_rows(report) if row.estimate]
    if not estimated:
        return None
    names = ", ".join(row.type for row in estimated)
    errors = sorted({str(row.estimate) for row in estimated})
    return (
        f"~ estimated: p50/p90/p99 of {shorten(names, 200)}: {'; '.join(errors)} "
        "(merge partial reports of accord audit --partial for exact figures)"
    )


def violations(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The violations the report lists (possibly fewer than it counts)."""
    listed = report.get("violations") or []
    return [item for item in listed if isinstance(item, Mapping)]


def violation_total(report: Mapping[str, Any]) -> int:
    """How many violations the report counts, even when it lists only some of them."""
    counted = sum(_int(report.get(name)) for name, _ in REPORT_COUNTERS) + sum(
        row.violations for row in sla_rows(report)
    )
    return max(counted, len(violations(report)))


def incomplete(report: Mapping[str, Any]) -> list[str]:
    """Why the events read cannot be trusted to be all there were (empty: no reason known).

    A reader sets ``incomplete`` when the topics lost or replaced records while it read them
    (a topic recreated, offsets that went back or jumped): events it never saw may then
    show up as missing triggers or orphans that are not. Such a report is not consistent,
    whatever it counts.
    """
    reasons = report.get("incomplete")
    if not reasons:
        return []
    if isinstance(reasons, str):
        return [reasons]
    return [str(reason) for reason in reasons]


def verdict(report: Mapping[str, Any]) -> bool:
    """Whether the report says the system was consistent.

    ``consistent`` is authoritative; a report without it is consistent when it counts no
    violation. An :func:`incomplete` report is never consistent.
    """
    if incomplete(report):
        return False
    consistent = report.get("consistent")
    if isinstance(consistent, bool):
        return consistent
    return violation_total(report) == 0


def verdict_kind(report: Mapping[str, Any]) -> str:
    """``consistent``, ``not_consistent``, ``nothing_decided`` or ``pending`` (see
    :func:`accord.consistency.judge`); from ``consistent`` for reports without ``verdict``."""
    if incomplete(report):
        return "not_consistent"  # the topics cannot vouch for what was read
    kind = report.get("verdict")
    if kind in ("consistent", "not_consistent", "nothing_decided", "pending"):
        return str(kind)
    return "consistent" if verdict(report) else "not_consistent"


def warnings(report: Mapping[str, Any]) -> list[str]:
    """The report's warnings as lines (types never read, key mismatches, lost events)."""
    out = [
        str(item.get("detail"))
        for item in report.get("warnings") or []
        if isinstance(item, Mapping) and item.get("detail")
    ]
    unread = _int(report.get("dead_letters_unread"))
    if unread:
        out.append(
            f"{unread} dead-letter events could not be read (the key or the original event "
            "is not in what was decoded)"
        )
    return out


def warning_lines(report: Mapping[str, Any], *, limit: int | None = None) -> list[str]:
    """``warning: ...`` per :func:`warnings` (each cut to ``limit`` characters with
    :func:`shorten`, when given), then the :func:`pending_note`: what the terminal and the
    JUnit output print beside the verdict."""
    lines = [
        f"warning: {text if limit is None else shorten(text, limit)}" for text in warnings(report)
    ]
    note = pending_note(report)
    if note:
        lines.append(note)
    return lines


def pending_note(report: Mapping[str, Any]) -> str | None:
    """Why pending keys are not violations, with their counts and the earliest deadline."""
    rows = [(row.type, row.pending) for row in sla_rows(report) if row.pending]
    if not rows:
        return None
    expectations = report.get("expectations") or {}
    deadlines = sorted(
        str(stats.get("pending_deadline"))
        for stats in expectations.values()
        if isinstance(stats, Mapping) and stats.get("pending_deadline")
    )
    counts = ", ".join(f"{count} {clean_text(name)}" for name, count in rows)
    total = sum(count for _, count in rows)
    first = f"; the earliest becomes missing at {deadlines[0]}" if deadlines else ""
    return (
        f"pending: {counts} ({total} not decided, not violations): their limit had not "
        f"passed at the window end {report.get('window_end')}{first}. If the history is "
        "finished, audit with --complete; --fail-on-pending fails on them"
    )


def window_note(report: Mapping[str, Any]) -> str | None:
    """What the window end means for the undecided keys: ``None`` when the report does not say.

    A closed window (``complete``: a finished file, a topic read to its end, a stopped run)
    makes every key without a match by its end ``missing``; an open one leaves keys whose
    limit had not passed ``pending``.
    """
    complete = report.get("complete")
    if not isinstance(complete, bool):
        return None
    end = report.get("window_end") or "-"
    if complete:
        return (
            f"closed (--complete): the events read are the whole history up to {end}; a key "
            "without a match is missing, never pending"
        )
    return (
        f"open: it ends at the latest event time read, {end}; a key whose limit had not "
        "passed by then is pending (not decided), not missing"
    )


def read_note(report: Mapping[str, Any]) -> str | None:
    """The event types read with their counts (``types_read``), e.g. ``55 events: 20
    order.accepted, 35 invoice.created``; ``None`` when the report does not record them."""
    types_read = report.get("types_read")
    if not isinstance(types_read, Mapping):
        return None
    parts = [
        f"{_int(count)} {clean_text(name)}" if name else f"{_int(count)} without a type"
        for name, count in types_read.items()
    ]
    events = report.get("events")
    total = f"{_int(events)} events" if events is not None else "events"
    return f"{total}: {', '.join(parts) if parts else 'none'}"


def verdict_notes(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the verdict rests on, as ``(tag, text)`` in the order a reader needs them:
    ``incomplete`` (why the history may lack events), ``warning`` (:func:`warnings`),
    ``pending`` (:func:`pending_note`), ``window`` (:func:`window_note`) and ``read``
    (:func:`read_note`)."""
    notes = [("incomplete", reason) for reason in incomplete(report)]
    notes += [("warning", text) for text in warnings(report)]
    for tag, text in (
        ("pending", pending_note(report)),
        ("window", window_note(report)),
        ("read", read_note(report)),
    ):
        if text:
            notes.append((tag, text.removeprefix(f"{tag}: ")))
    return notes


def counts_by_kind(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Count listed violations per ``kind``, in order of first appearance."""
    counts: dict[str, int] = {}
    for item in items:
        kind = str(item.get("kind", "?"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def kind_totals(report: Mapping[str, Any]) -> dict[str, int]:
    """Violations per kind as the report *counts* them (not only those it lists).

    Kinds with a zero count are left out.
    """
    totals: dict[str, int] = {}
    for kind in VIOLATION_OUTCOMES:
        value = sum(int(getattr(row, kind)) for row in sla_rows(report))
        if value:
            totals[kind] = value
    for name, kind in REPORT_COUNTERS:
        if _int(report.get(name)):
            totals[kind] = _int(report.get(name))
    if not totals:
        # A report without counters (hand-written, or a kind the counters do not know).
        totals = counts_by_kind(violations(report))
    return totals


@dataclass(frozen=True, slots=True)
class Regression:
    """One thing that got worse against the baseline, whichever key names the report used."""

    type: str
    field: str
    old: Any
    new: Any
    message: str


def regressions(report: Mapping[str, Any]) -> list[Regression] | None:
    """The report's regressions against a baseline; ``None`` when it was not compared.

    Accepts both ``old``/``new``/``message`` and the engine's ``baseline``/``current``/
    ``detail`` key names.
    """
    listed = report.get("regressions")
    if not isinstance(listed, list):
        return None
    out: list[Regression] = []
    for item in listed:
        if not isinstance(item, Mapping):
            continue
        old = item.get("old", item.get("baseline"))
        new = item.get("new", item.get("current"))
        event_type = str(item.get("type", ""))
        field = str(item.get("field", item.get("kind", "")))
        message = item.get("message") or item.get("detail")
        if not message:
            message = f"{event_type} {field}: {format_number(old)} -> {format_number(new)}"
        out.append(Regression(event_type, field, old, new, str(message)))
    return out


def clean_text(value: Any) -> str:
    """``str(value)`` with control characters and lone surrogates shown as ``\\xNN``.

    Keys and details come from events, i.e. from anyone who can publish one: they must not
    move a terminal's cursor or make an XML file unreadable.
    """
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def shorten(value: Any, limit: int = 120) -> str:
    """:func:`clean_text` on one line, cut to ``limit`` characters with an ellipsis."""
    text = clean_text(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def format_count(value: Any) -> str:
    """An integer count as text (``0`` when absent)."""
    return str(_int(value))


def format_number(value: Any) -> str:
    """A number the short way (at most 4 significant digits for floats); text stays text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return clean_text(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def format_field(field: str, value: Any) -> str:
    """A report value named ``field``: a duration for latencies (``p99``, ``*_s``), else a
    number the short way."""
    if field in QUANTILES or field in ("p95", "latency") or field.endswith("_s"):
        return format_duration(value)
    return format_number(value)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time (any offset, ``Z`` allowed) as an aware UTC datetime, else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
