"""Hand-written inline SVG plots for the HTML report (no plotting library, no JavaScript).

Every function returns one ``<svg>`` element as text. All text that comes from a report is
escaped with :func:`esc`; hover details use SVG ``<title>`` elements, which browsers show as
tooltips without any script.
"""

from __future__ import annotations

import html
import itertools
import math
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from accord.report._model import clean_text, format_duration, parse_time

__all__ = [
    "KIND_COLORS",
    "STAIRCASE_STEPS",
    "esc",
    "histogram_svg",
    "kind_color",
    "staircase_svg",
    "timeline_svg",
]

#: One colour per violation kind, the same in every plot and table of the report.
KIND_COLORS: dict[str, str] = {
    "late": "#e8871e",
    "missing": "#c8312b",
    "duplicated": "#7b4fa6",
    "orphaned": "#6b7785",
    "mismatched": "#2b7bb9",
    "duplicate_trigger": "#138a72",
    "dead_lettered": "#a5682a",
    "untriggered": "#b83b7a",
}
_OTHER_COLORS = ("#3e5c76", "#7a8b2a", "#8a6d3b", "#5a3e8a")
#: Colours of the expectations' lines in the staircase.
SERIES_COLORS = ("#2b6cb0", "#d2691e", "#2f855a", "#9b2c2c", "#6b46c1", "#4a5568")
#: The ``consistent_within`` thresholds, in order, with their length in seconds.
STAIRCASE_STEPS: tuple[tuple[str, float], ...] = (
    ("0.1s", 0.1),
    ("1s", 1.0),
    ("1min", 60.0),
    ("1h", 3600.0),
    ("1d", 86400.0),
)
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
_OK = "#3f8f6b"
_STRADDLE = "#e0a040"
_LATE = "#d0453e"
_AXIS = "#4a5568"
_GRID = "#e2e8f0"
# Human tick marks for a logarithmic latency axis.
_LOG_TICKS = (
    1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 60.0, 600.0, 3600.0, 6 * 3600.0, 86400.0,
    7 * 86400.0, 30 * 86400.0,
)  # fmt: skip
# Bucket widths for the violations timeline, in seconds.
_TIME_BUCKETS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip


def esc(value: Any) -> str:
    """Text from a report, safe inside HTML or SVG text and attribute values."""
    return html.escape(clean_text(value), quote=True)


def kind_color(kind: str) -> str:
    """The colour of a violation kind; an unknown kind gets an extra colour chosen by its name,
    so it is the same in the table and the timeline whatever order each lists kinds in."""
    if kind in KIND_COLORS:
        return KIND_COLORS[kind]
    return _OTHER_COLORS[zlib.crc32(kind.encode("utf-8", "replace")) % len(_OTHER_COLORS)]


def _f(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _nice_ceiling(value: float) -> tuple[float, float]:
    """A round upper bound for an axis and its tick step (about 4 ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1:
        step = 1.0  # counts are whole numbers
    return math.ceil(value / step) * step, step


def _svg_open(width: int, height: int, label: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot {css_class}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{esc(label)}" '
        f'{_FONT} font-size="11"><title>{esc(label)}</title>'
    )


def _empty(width: int, height: int, label: str, css_class: str, message: str) -> str:
    return (
        _svg_open(width, height, label, css_class)
        + f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f7fafc" '
        f'stroke="{_GRID}"/><text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
        f'fill="{_AXIS}" font-size="13">{esc(message)}</text></svg>'
    )


def _valid_histogram(histogram: Any) -> tuple[list[float], list[int]] | None:
    if not isinstance(histogram, Mapping):
        return None
    edges, counts = histogram.get("edges_s"), histogram.get("counts")
    if not isinstance(edges, Sequence) or not isinstance(counts, Sequence):
        return None
    try:
        edge_values = [float(edge) for edge in edges]
        count_values = [max(int(count), 0) for count in counts]
    except (TypeError, ValueError):
        return None
    if len(edge_values) != len(count_values) + 1 or not count_values:
        return None
    if any(b <= a for a, b in itertools.pairwise(edge_values)):
        return None
    if not all(math.isfinite(edge) for edge in edge_values):
        return None
    return edge_values, count_values


def histogram_svg(
    event_type: str,
    histogram: Any,
    within_s: float | None,
    p99: float | None = None,
    *,
    width: int = 520,
    height: int = 230,
    y_max: int | None = None,
) -> str:
    """Latency distribution of one expectation: bars on a log axis, the SLA limit marked.

    Bars left of the limit are green, right of it red, a bucket that holds the limit orange.
    Empty buckets at both ends are trimmed so the data fills the plot; the limit stays in view.

    Args:
        event_type: the expected event type (for the title).
        histogram: ``{"edges_s": [...], "counts": [...]}`` with ``len(edges) == len(counts)+1``.
        within_s: the SLA limit in seconds, drawn as a labelled vertical line.
        p99: the 99th percentile latency, drawn as a dotted line when given.
        width: the drawing's width in SVG units.
        height: the drawing's height in SVG units.
        y_max: the largest count on the y axis, the same for every histogram of a report
            so that their bars compare (default: this histogram's largest count).
    """
    label = f"Latency distribution of {event_type}"
    if isinstance(histogram, Mapping) and not histogram.get("counts"):
        return _empty(width, height, label, "histogram", "no matching events yet")
    parsed = _valid_histogram(histogram)
    if parsed is None:
        return _empty(width, height, label, "histogram", "no latency histogram in this report")
    edges, counts = parsed
    if sum(counts) == 0:
        return _empty(width, height, label, "histogram", "no matching events yet")

    # Trim empty buckets at both ends, keeping one of each for context.
    first = max(next(i for i, c in enumerate(counts) if c) - 1, 0)
    last = min(max(i for i, c in enumerate(counts) if c) + 1, len(counts) - 1)
    edges, counts = edges[first : last + 2], counts[first : last + 1]
    if edges[0] <= 0:
        # A first bucket from 0 has no place on a log axis: draw it one decade wide.
        edges[0] = edges[1] / 10 if edges[1] > 0 else 1e-6
    low, high = edges[0], edges[-1]
    limit = within_s if within_s is not None and within_s > 0 else None
    if limit is not None:
        low, high = min(low, limit / 2), max(high, limit * 2)
    log_low, log_high = math.log10(low), math.log10(high)
    if log_high - log_low < 1e-9:
        log_high = log_low + 1

    left, right, top, bottom = 52, 16, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_top, y_step = _nice_ceiling(max(max(counts), y_max or 0))

    def x_of(seconds: float) -> float:
        seconds = max(seconds, 1e-12)
        return left + (math.log10(seconds) - log_low) / (log_high - log_low) * plot_w

    def y_of(count: float) -> float:
        return top + plot_h - count / y_top * plot_h

    parts = [_svg_open(width, height, label, "histogram")]
    # Horizontal grid and y labels.
    tick = 0.0
    while tick <= y_top + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y)}" y2="{_f(y)}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{int(tick)}</text>"
        )
        tick += y_step
    # Bars.
    for lower, upper, count in zip(edges, edges[1:], counts, strict=False):
        if not count:
            continue
        if limit is None or upper <= limit:
            color = _OK
        elif lower >= limit:
            color = _LATE
        else:
            color = _STRADDLE
        x0, x1 = x_of(lower), x_of(upper)
        y = min(y_of(count), top + plot_h - MIN_BAR_PX)
        parts.append(
            f'<rect class="bar" x="{_f(x0 + 0.5)}" y="{_f(y)}" width="{_f(max(x1 - x0 - 1, 1))}" '
            f'height="{_f(top + plot_h - y)}" fill="{color}"><title>'
            f"{esc(format_duration(lower))} to {esc(format_duration(upper))}: {count}"
            "</title></rect>"
        )
    # Axes.
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/><line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/>'
    )
    ticks = [t for t in _LOG_TICKS if low <= t <= high]
    if len(ticks) < 2:
        ticks = sorted({low, *ticks, high})
    for t in ticks:
        x = x_of(t)
        parts.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
            f'stroke="{_AXIS}"/><text x="{_f(x)}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="{_AXIS}">{esc(format_duration(t))}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" fill="{_AXIS}">'
        "latency (log scale)</text>"
        f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" fill="{_AXIS}" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">keys</text>'
    )
    # Percentile and limit markers; labels above the plot, anchored away from the edges.
    markers: list[tuple[float, str, str, str, str]] = []
    if p99 is not None and p99 > 0:
        markers.append((p99, f"p99 {format_duration(p99)}", _AXIS, "2 3", "p99"))
    if limit is not None:
        markers.append((limit, f"limit {format_duration(limit)}", "#b91c1c", "6 3", "limit"))
    for row, (value, text, color, dash, css) in enumerate(markers):
        x = x_of(value)
        anchor = "start" if x < left + plot_w * 0.7 else "end"
        dx = 4 if anchor == "start" else -4
        label_y = top - 6 - 12 * (len(markers) - 1 - row)
        parts.append(
            f'<line class="{css}" x1="{_f(x)}" x2="{_f(x)}" y1="{label_y + 2}" '
            f'y2="{top + plot_h}" stroke="{color}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
            f'<text class="{css}-label" x="{_f(x + dx)}" y="{label_y}" text-anchor="{anchor}" '
            f'fill="{color}" font-weight="600">{esc(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bucket_width(span: float) -> int:
    for width in _TIME_BUCKETS:
        if span / width <= 60:
            return width
    return _TIME_BUCKETS[-1] * max(math.ceil(span / _TIME_BUCKETS[-1] / 60), 1)


def _time_label(moment: datetime, span: float) -> str:
    if span < 86400:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%m-%d %H:%M")


def timeline_svg(
    items: Sequence[Mapping[str, Any]],
    *,
    width: int = 1040,
    height: int = 240,
) -> str:
    """Violations over time: stacked bars per time bucket, one colour per kind.

    The bucket width is a round duration (1s, 5s, 1min, ...) giving at most 60 buckets.
    Violations without a readable ``time`` are left out (the caller says how many).

    Args:
        items: the violations (each with ``kind`` and ``time``).
        width: the drawing's width in SVG units.
        height: the drawing's height in SVG units.
    """
    label = "Violations over time"
    timed: list[tuple[float, str]] = []
    for item in items:
        moment = parse_time(item.get("time"))
        if moment is not None:
            timed.append((moment.timestamp(), str(item.get("kind", "?"))))
    if not timed:
        message = "no violations" if not items else "no violation has a time"
        return _empty(width, 70, label, "timeline", message)  # a slim box: nothing to show

    start, end = min(t for t, _ in timed), max(t for t, _ in timed)
    bucket = _bucket_width(max(end - start, 1.0))
    first = math.floor(start / bucket) * bucket
    n_buckets = int((end - first) // bucket) + 1
    kinds: list[str] = []
    stacks: list[dict[str, int]] = [{} for _ in range(n_buckets)]
    for seconds, kind in timed:
        if kind not in kinds:
            kinds.append(kind)
        index = min(int((seconds - first) // bucket), n_buckets - 1)
        stacks[index][kind] = stacks[index].get(kind, 0) + 1
    preferred = list(KIND_COLORS)
    kinds.sort(key=lambda k: (preferred.index(k) if k in preferred else len(preferred), k))
    colors = {kind: kind_color(kind) for kind in kinds}

    left, right, top, bottom = 52, 16, 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max, y_step = _nice_ceiling(max(sum(stack.values()) for stack in stacks))
    slot = plot_w / n_buckets

    def y_of(count: float) -> float:
        return top + plot_h - count / y_max * plot_h

    def px(count: int) -> float:
        """A segment's height: to scale, but never too thin to see."""
        return max(count / y_max * plot_h, MIN_BAR_PX)

    parts = [_svg_open(width, height, label, "timeline")]
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y)}" y2="{_f(y)}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{int(tick)}</text>"
        )
        tick += y_step
    for index, stack in enumerate(stacks):
        base = float(top + plot_h)
        x = left + index * slot
        moment = datetime.fromtimestamp(first + index * bucket, UTC)
        for kind in kinds:
            count = stack.get(kind, 0)
            if not count:
                continue
            y0, y1 = base, base - px(count)
            parts.append(
                f'<rect class="bar" x="{_f(x + 0.5)}" y="{_f(y1)}" '
                f'width="{_f(max(slot - 1, 0.8))}" height="{_f(y0 - y1)}" '
                f'fill="{colors[kind]}"><title>{esc(moment.strftime("%Y-%m-%d %H:%M:%S"))} '
                f"(+{esc(format_duration(bucket))}): {count} {esc(kind)}</title></rect>"
            )
            base = y1
        total = sum(stack.values())
        if total and top + plot_h - base < 3 * MIN_BAR_PX:
            # A bar this low is easy to miss beside tall ones: say its count above it.
            parts.append(
                f'<text class="count" x="{_f(x + slot / 2)}" y="{_f(base - 3)}" '
                f'text-anchor="middle" fill="{_AXIS}">{total}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/><line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/>'
    )
    span = n_buckets * bucket
    label_every = max(math.ceil(n_buckets / 6), 1)
    for index in range(0, n_buckets + 1, label_every):
        x = left + index * slot
        moment = datetime.fromtimestamp(first + index * bucket, UTC)
        # The last label would be cut by the right edge when centred on its tick.
        anchor = "end" if x > left + plot_w - 30 else "middle"
        parts.append(
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
            f'stroke="{_AXIS}"/><text x="{_f(x)}" y="{top + plot_h + 16}" '
            f'text-anchor="{anchor}" fill="{_AXIS}">{esc(_time_label(moment, span))}</text>'
        )
    day = datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%d")
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" fill="{_AXIS}">'
        f"time (UTC, from {esc(day)}), buckets of {esc(format_duration(bucket))}</text>"
        f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" fill="{_AXIS}" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">violations</text>'
    )
    # Legend.
    x = left
    totals: dict[str, int] = {}
    for _, kind in timed:
        totals[kind] = totals.get(kind, 0) + 1
    for kind in kinds:
        text = f"{kind} ({totals[kind]})"
        parts.append(
            f'<rect x="{_f(x)}" y="12" width="12" height="12" fill="{colors[kind]}"/>'
            f'<text class="legend" x="{_f(x + 16)}" y="22" fill="{_AXIS}">{esc(text)}</text>'
        )
        x += 16 + 7 * len(clean_text(text)) + 18
    parts.append("</svg>")
    return "".join(parts)


#: Tick marks of the staircase's time axis (log scale), in seconds.
_STAIRCASE_TICKS = (0.1, 1.0, 10.0, 60.0, 600.0, 3600.0, 6 * 3600.0, 86400.0)
#: Dash patterns that tell coinciding staircase lines apart (the first one is solid).
_DASHES = ("", "7 4", "2 3", "10 3 2 3")
#: Smallest height in SVG units of a bar or bar segment that counts something, so that one
#: late key next to hundreds of missing ones is still visible.
MIN_BAR_PX = 4.0


def staircase_svg(
    series: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    width: int = 1040,
    height: int = 260,
) -> str:
    """The ``consistent_within`` staircase: fraction of decided keys consistent within
    0.1s, 1s, 1min, 1h and 1d, one step line per expectation on a logarithmic time axis.

    Each line starts at 0.1s and ends at 1d (nothing is known beyond); between thresholds it
    holds the fraction of the last one, since a fraction within t can only grow with t.
    Lines that coincide are drawn a few units apart, each with its own dash pattern, so
    none hides another.

    Args:
        series: ``(event type, consistent_within mapping)`` per expectation.
        width: the drawing's width in SVG units.
        height: the drawing's height in SVG units.
    """
    label = "Fraction of keys consistent within 100ms, 1s, 60s, 1h, 1d (log time axis)"
    usable: list[tuple[str, list[float | None]]] = []
    for name, fractions in series:
        values: list[float | None] = []
        for key, _ in STAIRCASE_STEPS:
            raw = fractions.get(key) if isinstance(fractions, Mapping) else None
            try:
                value = None if raw is None else min(max(float(raw), 0.0), 1.0)
            except (TypeError, ValueError):
                value = None
            values.append(value if value is None or math.isfinite(value) else None)
        if any(value is not None for value in values):
            usable.append((name, values))
    if not usable:
        return _empty(width, height, label, "staircase", "no consistent_within figures")

    left, right, top, bottom = 52, 36, 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    log_low, log_high = math.log10(STAIRCASE_STEPS[0][1]), math.log10(STAIRCASE_STEPS[-1][1])

    def x_of(seconds: float) -> float:
        return left + (math.log10(seconds) - log_low) / (log_high - log_low) * plot_w

    def y_of(fraction: float) -> float:
        return top + plot_h - fraction * plot_h

    parts = [_svg_open(width, height, label, "staircase")]
    for percent in (0, 25, 50, 75, 100):
        y = y_of(percent / 100)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y)}" y2="{_f(y)}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{percent}%</text>"
        )
    for seconds in _STAIRCASE_TICKS:
        x = x_of(seconds)
        parts.append(
            f'<line class="tick" x1="{_f(x)}" x2="{_f(x)}" y1="{top}" y2="{top + plot_h + 4}" '
            f'stroke="{_GRID}"/><text x="{_f(x)}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="{_AXIS}">{esc(format_duration(seconds))}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/><line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/>'
        f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" fill="{_AXIS}">'
        "time from the trigger (log scale)</text>"
        f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" fill="{_AXIS}" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">decided keys</text>'
    )
    legend_x = float(left)
    # Lines are spread around their true height (at most 2 units per line away from it).
    spread = 3.0
    middle = (len(usable) - 1) / 2
    for number, (name, values) in enumerate(usable):
        color = SERIES_COLORS[number % len(SERIES_COLORS)]
        dash = _DASHES[number % len(_DASHES)]
        offset = (number - middle) * spread
        points: list[str] = []
        known = [(i, v) for i, v in enumerate(values) if v is not None]
        for position, (index, value) in enumerate(known):
            x0 = x_of(STAIRCASE_STEPS[index][1])
            y = y_of(value) + offset
            points.append(f"{'L' if points else 'M'}{_f(x0)},{_f(y)}")
            if position + 1 < len(known):
                x1 = x_of(STAIRCASE_STEPS[known[position + 1][0]][1])
                points.append(f"L{_f(x1)},{_f(y)}")
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class="step" d="{"".join(points)}" fill="none" stroke="{color}" '
            f'stroke-width="2"{dash_attribute}/>'
        )
        for index, value in known:
            seconds = STAIRCASE_STEPS[index][1]
            parts.append(
                f'<circle cx="{_f(x_of(seconds))}" cy="{_f(y_of(value) + offset)}" r="3.5" '
                f'fill="{color}"><title>{esc(name)}: {value * 100:.1f}% within '
                f"{esc(format_duration(seconds))}</title></circle>"
            )
        text = clean_text(name)[:60]
        parts.append(
            f'<line x1="{_f(legend_x)}" x2="{_f(legend_x + 22)}" y1="16" y2="16" '
            f'stroke="{color}" stroke-width="2.5"{dash_attribute}/>'
            f'<text class="legend" x="{_f(legend_x + 26)}" y="20" fill="{_AXIS}">'
            f"{esc(text)}</text>"
        )
        legend_x += 26 + 7 * len(text) + 22
    parts.append("</svg>")
    return "".join(parts)
