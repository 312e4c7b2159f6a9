"""The report as one self-contained HTML page: inline CSS and SVG, no script, no network.

A Content-Security-Policy in the page forbids scripts and any fetch, so even a report that
carried something nasty in a key could not run it; every text from the report is escaped
anyway (keys come from events, i.e. from anyone who can publish one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.report._model import (
    OUTCOMES,
    QUANTILES,
    VIOLATION_OUTCOMES,
    estimate_note,
    format_duration,
    format_field,
    incomplete,
    kind_totals,
    parse_time,
    regressions,
    sla_rows,
    verdict_kind,
    verdict_notes,
    violation_total,
    violations,
)
from accord.report._svg import (
    STAIRCASE_STEPS,
    esc,
    histogram_svg,
    kind_color,
    staircase_svg,
    timeline_svg,
)
from accord.report._terminal import verdict_heading, verdict_tone

__all__ = ["render_html"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS = """
:root { color-scheme: light; --ok: #2f855a; --bad: #c53030; --ink: #1a202c; --muted: #4a5568;
  --line: #e2e8f0; --undecided: #975a16; --warn-bg: #fffaf0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f4f6f9; }
header { padding: 20px 32px; color: #fff; }
header.ok { background: var(--ok); } header.bad { background: var(--bad); }
header.undecided { background: var(--undecided); }
header h1 { margin: 0; font-size: 28px; letter-spacing: .02em; }
header p { margin: 4px 0 0; font-size: 15px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 12px 0 0; }
header dt { font-size: 11px; text-transform: uppercase; opacity: .85; }
header dd { margin: 0; font-weight: 600; word-break: break-all; }
header dl.origin { border-top: 1px solid rgba(255,255,255,.35); padding-top: 8px; }
header dl.origin dd { font-weight: 400; }
header dd.cmd { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
header p.origin { font-size: 12px; opacity: .85; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 32px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 12px 20px 16px; margin: 16px 0; }
h2 { font-size: 17px; margin: 4px 0 10px; }
h3 { font-size: 14px; margin: 0 0 4px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); text-align: right;
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.text { word-break: break-word; overflow-wrap: anywhere; }
td.name code, td.nowrap { white-space: nowrap; }
td.time { white-space: nowrap; font-size: 12px; }
td.key { min-width: 24ch; }
.scroll { overflow-x: auto; }
td.bad { color: var(--bad); font-weight: 700; }
td.pending { color: var(--undecided); font-weight: 700; text-decoration: underline dotted; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 4px; padding: 8px; }
.note { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; }
svg.plot { display: block; max-width: 100%; height: auto; }
section.notes { border-left: 4px solid var(--muted); }
section.notes.warn { border-left-color: var(--undecided); background: var(--warn-bg); }
section.notes.bad { border-left-color: var(--bad); background: #fff5f5; }
section.notes ul { margin: 0; padding-left: 20px; }
section.notes li { margin: 4px 0; overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase;
  color: #fff; background: var(--undecided); border-radius: 3px; padding: 0 5px;
  margin-right: 6px; }
.tag.bad { background: var(--bad); } .tag.info { background: var(--muted); }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 24px; }
"""


#: How each kind of note of :func:`verdict_notes` is marked.
_NOTE_LEVEL = {"incomplete": "bad", "warning": "warn", "pending": "warn"}


def _notes(report: Mapping[str, Any]) -> str:
    """What the verdict rests on, above everything else: an incomplete history, warnings
    (types never read, key mismatches, unread dead letters), the pending keys and why they
    are not violations, the window and the types read."""
    notes = verdict_notes(report)
    if not notes:
        return ""
    lines = "".join(
        f'<li class="{tag}"><span class="tag {_NOTE_LEVEL.get(tag, "info")}">{tag}</span>'
        f"{esc(text)}</li>"
        for tag, text in notes
    )
    levels = {_NOTE_LEVEL.get(tag) for tag, _ in notes}
    level = " bad" if "bad" in levels else " warn" if "warn" in levels else ""
    return (
        f'<section id="notes" class="notes{level}"><h2>What the verdict rests on</h2>'
        f"<ul>{lines}</ul></section>"
    )


def _summary_table(report: Mapping[str, Any]) -> str:
    rows = sla_rows(report)
    if not rows:
        return '<p class="note">This report has no expectations.</p>'
    head = (
        '<tr><th class="text">expectation</th><th>within</th>'
        + "".join(f"<th>{name}</th>" for name in OUTCOMES)
        + "".join(f"<th>{q}</th>" for q in QUANTILES)
        + "</tr>"
    )
    body = []
    for row in rows:
        cells = [f'<td class="text name"><code>{esc(row.type)}</code></td>']
        cells.append(f"<td>{esc(format_duration(row.within_s))}</td>")
        for name in OUTCOMES:
            value = getattr(row, name)
            css = ' class="bad"' if value and name in VIOLATION_OUTCOMES else ""
            if value and name == "pending":
                css = f' class="pending" title="{esc(_pending_title(report, row.type))}"'
            cells.append(f"<td{css}>{value}</td>")
        shown = row.cells()[-len(QUANTILES) :]
        for value, text in zip((getattr(row, q) for q in QUANTILES), shown, strict=True):
            late = value is not None and row.within_s is not None and value > row.within_s
            css = ' class="bad"' if late else ""
            cells.append(f"<td{css}>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = estimate_note(report)
    return (
        f'<div class="scroll"><table><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        + (f'<p class="note" id="estimates">{esc(note)}</p>' if note else "")
    )


def _pending_title(report: Mapping[str, Any], name: str) -> str:
    """Why an expectation's pending keys are not violations, for its table cell's tooltip."""
    stats = _expectations(report).get(name)
    deadline = stats.get("pending_deadline") if isinstance(stats, Mapping) else None
    first = f"; the earliest becomes missing at {deadline}" if deadline else ""
    return (
        f"not decided, not violations: their limit had not passed at the window end "
        f"{report.get('window_end') or '-'}{first}"
    )


def _regressions_section(report: Mapping[str, Any]) -> str:
    compared = regressions(report)
    if compared is None:
        return ""
    if not compared:
        return (
            '<section id="regressions"><h2>Regressions against the baseline</h2>'
            '<p class="note">None.</p></section>'
        )
    rows = "".join(
        "<tr>"
        f'<td class="text name"><code>{esc(item.type)}</code></td>'
        f'<td class="text">{esc(item.field)}</td>'
        f"<td>{esc(format_field(item.field, item.old))}</td>"
        f'<td class="bad">{esc(format_field(item.field, item.new))}</td>'
        f'<td class="text">{esc(item.message)}</td>'
        "</tr>"
        for item in compared
    )
    return (
        '<section id="regressions"><h2>Regressions against the baseline '
        f'({len(compared)})</h2><table><thead><tr><th class="text">type</th>'
        '<th class="text">field</th><th>old</th><th>new</th><th class="text">message</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _expectations(report: Mapping[str, Any]) -> Mapping[str, Any]:
    expectations = report.get("expectations")
    return expectations if isinstance(expectations, Mapping) else {}


def _histogram_of(expectations: Mapping[str, Any], name: str) -> Any:
    stats = expectations.get(name)
    return stats.get("histogram") if isinstance(stats, Mapping) else None


def _largest_count(histograms: list[Any]) -> int:
    """The largest bucket count of all histograms: one y-scale for the whole report."""
    largest = 0
    for histogram in histograms:
        counts = histogram.get("counts") if isinstance(histogram, Mapping) else None
        if isinstance(counts, list):
            for count in counts:
                if isinstance(count, int | float) and not isinstance(count, bool):
                    largest = max(largest, int(count))
    return largest


def _latency_plots(report: Mapping[str, Any]) -> str:
    expectations = _expectations(report)
    rows = sla_rows(report)
    y_max = _largest_count([_histogram_of(expectations, row.type) for row in rows])
    cards = []
    for row in rows:
        histogram = _histogram_of(expectations, row.type)
        shown = row.cells()[-len(QUANTILES) :]
        figures = ", ".join(f"{q} {text}" for q, text in zip(QUANTILES, shown, strict=True))
        pending = f", {row.pending} pending (not drawn)" if row.pending else ""
        caption = (
            f"{row.count} matched{pending}; {figures}; limit {format_duration(row.within_s)}; "
            f"{row.redelivered} redelivered, {row.clock_skew} with clock skew"
        )
        cards.append(
            f'<div class="card"><h3><code>{esc(row.type)}</code></h3>'
            f"{histogram_svg(row.type, histogram, row.within_s, row.p99, y_max=y_max)}"
            f'<p class="note">{esc(caption)}</p></div>'
        )
    if not cards:
        return '<p class="note">No expectations.</p>'
    return f'<div class="grid">{"".join(cards)}</div>'


def _staircase(report: Mapping[str, Any]) -> str:
    expectations = _expectations(report)
    series = []
    undecided = []
    for name, stats in expectations.items():
        fractions = stats.get("consistent_within") if isinstance(stats, Mapping) else None
        if isinstance(stats, Mapping) and _decided(stats) == 0:
            # The engine says 100% of no key: that is no figure, not a pass.
            undecided.append(str(name))
            fractions = None
        series.append((str(name), fractions if isinstance(fractions, Mapping) else {}))
    head = "".join(
        f"<th>within {esc(format_duration(seconds))}</th>" for _, seconds in STAIRCASE_STEPS
    )
    rows = []
    for name, fractions in series:
        cells = []
        for step, _ in STAIRCASE_STEPS:
            value = fractions.get(step)
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f"<td>{float(value) * 100:.1f}%</td>")
            else:
                cells.append("<td>-</td>")
        rows.append(f'<tr><td class="text"><code>{esc(name)}</code></td>{"".join(cells)}</tr>')
    table = (
        f'<table><thead><tr><th class="text">expectation</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    note = (
        f'<p class="note" id="undecided">No key decided yet, so no line or figure: '
        f"{esc(', '.join(undecided))}.</p>"
        if undecided
        else ""
    )
    return staircase_svg(series) + table + note


def _decided(stats: Mapping[str, Any]) -> int | None:
    """How many keys of an expectation are decided (ok, late or missing); ``None`` when the
    report does not say."""
    decided = stats.get("decided")
    if isinstance(decided, int) and not isinstance(decided, bool):
        return decided
    counted = [stats.get(name) for name in ("ok", "late", "missing")]
    if any(isinstance(value, int) for value in counted):
        return sum(value for value in counted if isinstance(value, int))
    return None


def _violations(report: Mapping[str, Any], max_listed: int) -> str:
    listed = violations(report)
    total = violation_total(report)
    if not total:
        if incomplete(report):
            return (
                '<p class="note">No violations counted, but the history read is incomplete '
                "(see above): that proves nothing.</p>"
            )
        if verdict_kind(report) == "nothing_decided" or report.get("nothing_decided"):
            return '<p class="note">No violations, but nothing was decided (see above).</p>'
        return '<p class="note">No violations.</p>'
    totals = "".join(
        f'<span style="margin-right:18px"><span class="swatch" '
        f'style="background:{kind_color(kind)}"></span>{esc(kind)}: {count}</span>'
        for kind, count in kind_totals(report).items()
    )
    shown = listed[:max_listed]
    rows = "".join(
        "<tr>"
        f'<td class="text nowrap"><span class="swatch" style="background:'
        f'{kind_color(str(item.get("kind", "?")))}"></span>{esc(item.get("kind", "?"))}'
        "</td>"
        f'<td class="text name"><code>{esc(item.get("type", ""))}</code></td>'
        f'<td class="text key"><code>{esc(item.get("key", ""))}</code></td>'
        f'<td class="text time">{esc(item.get("time", ""))}</td>'
        f'<td class="text">{esc(item.get("detail", ""))}</td>'
        "</tr>"
        for item in shown
    )
    more = ""
    if total > len(shown):
        more = (
            f'<p class="note">... and {total - len(shown)} more violations not listed here '
            "(report.json has every violation the audit listed).</p>"
        )
    return (
        f"<p>{totals}</p>"
        '<table><thead><tr><th class="text">kind</th><th class="text">type</th>'
        '<th class="text">key</th><th class="text">time</th><th class="text">detail</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>{more}"
    )


def _timeline(report: Mapping[str, Any]) -> str:
    listed = violations(report)
    total = violation_total(report)
    untimed = sum(1 for item in listed if parse_time(item.get("time")) is None)
    notes = []
    if total > len(listed):
        notes.append(f"Plotted: the {len(listed)} listed of {total} violations.")
    if untimed and listed:
        notes.append(f"{untimed} violation(s) without a readable time are not plotted.")
    note = f'<p class="note">{esc(" ".join(notes))}</p>' if notes else ""
    return timeline_svg(listed) + note


_CMD = ' class="cmd"'


def _origin(report: Mapping[str, Any]) -> str:
    """Where the report comes from: command, sources, window, generation time, version."""
    origin = report.get("origin")
    if not isinstance(origin, Mapping):
        return '<p class="origin" id="origin">Origin not recorded in this report.</p>'
    sources = origin.get("sources")
    listed = ", ".join(str(s) for s in sources) if isinstance(sources, list) and sources else "-"
    start = origin.get("window_start")
    end = report.get("window_end")
    window = f"{start} to {end or '-'}" if start else f"up to {end or '-'}"
    if report.get("merged_from"):
        window += f" (merged from {report.get('merged_from')} reports)"
    items = [
        ("command", origin.get("command") or "-"),
        ("sources", listed),
        ("window", window),
        ("generated", origin.get("generated_at") or "-"),
        ("accord", origin.get("accord_version") or "-"),
    ]
    cells = "".join(
        f"<div><dt>{esc(k)}</dt><dd{_CMD if k == 'command' else ''}>{esc(v)}</dd></div>"
        for k, v in items
    )
    return f'<dl class="origin" id="origin">{cells}</dl>'


def render_html(report: Mapping[str, Any], *, max_violations: int = 200) -> str:
    """Render the report as one self-contained HTML page (``report.html``).

    The page has a header headed by the verdict line's words and coloured by
    :func:`~accord.report._terminal.verdict_tone` (green only for a pass that decided
    something, amber when nothing was decided), what the verdict rests on
    (:func:`~accord.report._model.verdict_notes`), a summary table per expectation, and three plots
    drawn as inline SVG: the latency distribution of each expectation on a log axis with its
    limit marked, violations over time stacked by kind, and the ``consistent_within``
    staircase. It lists the first ``max_violations`` violations and says how many more there
    are. It loads nothing and runs no script.

    Args:
        report: a report dict in the ``report.json`` shape.
        max_violations: how many violations the page lists at most.

    Returns:
        The HTML document as text.
    """
    status, summary = verdict_heading(report)
    tone = verdict_tone(report)
    trigger = report.get("trigger", "")
    end = report.get("window_end") or "-"
    complete = report.get("complete")
    if isinstance(complete, bool):
        end = f"{end} ({'closed' if complete else 'open'})"
    facts = [
        ("trigger", trigger),
        ("triggers", report.get("triggers", 0)),
        ("duplicate triggers", report.get("duplicate_triggers", 0)),
        ("violations", violation_total(report)),
        ("pending", sum(row.pending for row in sla_rows(report))),
        ("window end", end),
    ]
    if report.get("accepted") is not None:
        facts.insert(2, ("accepted", report.get("accepted")))
    facts_html = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    origin = report.get("origin")
    origin = origin if isinstance(origin, Mapping) else {}
    version = origin.get("accord_version")
    generated = origin.get("generated_at")
    footer = "Generated by accord" + (f" {version}" if version else "")
    footer += f" at {generated}" if generated else ""
    timeline = (
        f'<section id="timeline"><h2>Violations over time</h2>{_timeline(report)}</section>'
        if violation_total(report)
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>accord: {esc(status)} ({esc(trigger)})</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<header class="{tone}"><h1 id="verdict">{esc(status)}</h1>'
        f"<p>{esc(summary)}</p><dl>{facts_html}</dl>{_origin(report)}</header><main>"
        f"{_notes(report)}"
        f'<section id="summary"><h2>Expectations</h2>{_summary_table(report)}</section>'
        f"{_regressions_section(report)}"
        '<section id="latency"><h2>Latency distribution</h2>'
        '<p class="note">Keys per latency bucket (time from the trigger to the first match); '
        "the dashed red line is the limit.</p>"
        f"{_latency_plots(report)}</section>"
        f"{timeline}"
        '<section id="staircase"><h2>Consistent within</h2>'
        '<p class="note">Fraction of decided keys (not pending) whose match came within each '
        "time.</p>"
        f"{_staircase(report)}</section>"
        f'<section id="violations"><h2>Violations</h2>{_violations(report, max_violations)}'
        "</section></main>"
        f"<footer>{esc(footer)}. Self-contained: no script, nothing loaded.</footer>"
        "</body></html>\n"
    )
