"""Reports of an audit: ``report.json``, ``junit.xml``, ``report.html``, ``report.md`` and the
terminal table.

Every renderer is a pure function of the report dict the consistency engine produces (the
``report.json`` shape of :mod:`accord.consistency`, with per-expectation ``histogram`` and
per-violation ``time``, and optional ``regressions`` from a baseline comparison). Renderers
read only what they need and tolerate missing optional keys, so partial and merged reports
render too. Text that comes from events (keys, details) is escaped for each output.
"""

from __future__ import annotations

from accord.report._html import render_html
from accord.report._junit import render_junit
from accord.report._markdown import render_markdown
from accord.report._model import SLA_COLUMNS, SlaRow, format_duration, sla_rows
from accord.report._terminal import terminal_table, verdict_line
from accord.report._write import (
    FILENAMES,
    FORMATS,
    parse_formats,
    render_json,
    run_origin,
    write_reports,
)

__all__ = [
    "FILENAMES",
    "FORMATS",
    "SLA_COLUMNS",
    "SlaRow",
    "format_duration",
    "parse_formats",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "run_origin",
    "sla_rows",
    "terminal_table",
    "verdict_line",
    "write_reports",
]
