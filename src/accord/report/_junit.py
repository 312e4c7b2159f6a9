"""The report as JUnit XML, so any CI shows the SLA verdict next to the other tests.

One ``<testcase>`` per expectation (name = the expected event type, classname = the
trigger type), failing with the violations of that type. Latency figures and outcome counts
go in ``<properties>`` of each test case; the report's own figures in the suite's.
A test case for the trigger type is added only when violations are not tied to an
expectation (duplicate triggers), one for the baseline when the report compares with one,
and a failing one (``accord.source``) when the report is ``incomplete`` (the topics lost or
replaced records while they were read), so a violation, regression or doubt never
disappears from the XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from accord.report._model import (
    OUTCOMES,
    SlaRow,
    clean_text,
    counts_by_kind,
    format_duration,
    incomplete,
    pending_note,
    regressions,
    shorten,
    sla_rows,
    verdict,
    verdict_kind,
    violation_total,
    violations,
    warning_lines,
    warnings,
)

__all__ = ["SUITE_NAME", "render_junit"]

SUITE_NAME = "accord.consistency"
#: At most this many violation lines in one ``<failure>``; report.json has them all.
MAX_FAILURE_LINES = 1000


def _number(value: float | int | None) -> str:
    return "" if value is None else repr(float(value)) if isinstance(value, float) else str(value)


def _properties(parent: ET.Element, items: Sequence[tuple[str, Any]]) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in items:
        ET.SubElement(properties, "property", name=name, value=clean_text(value))


def _violation_line(item: Mapping[str, Any]) -> str:
    parts = [
        shorten(item.get("kind", "?"), 40),
        shorten(item.get("type", "?"), 80),
        f"key={shorten(item.get('key', '?'), 200)}",
    ]
    if item.get("time"):
        parts.append(f"at {shorten(item['time'], 40)}")
    detail = shorten(item.get("detail", ""), 400)
    return " ".join(parts) + (f": {detail}" if detail else "")


def _failure(
    testcase: ET.Element, message: str, listed: Sequence[Mapping[str, Any]], total: int
) -> None:
    lines = [_violation_line(item) for item in listed[:MAX_FAILURE_LINES]]
    if total > len(lines):
        lines.append(f"... and {total - len(lines)} more (see report.json)")
    failure = ET.SubElement(testcase, "failure", message=clean_text(message), type="accord.sla")
    failure.text = clean_text("\n".join(lines))


def _row_message(row: SlaRow, triggers: int) -> str:
    counts = ", ".join(
        f"{getattr(row, kind)} {kind}"
        for kind in ("late", "missing", "duplicated", "orphaned", "mismatched")
        if getattr(row, kind)
    )
    return (
        f"{row.type}: {counts} (of {triggers} triggers; limit {format_duration(row.within_s)};"
        f" p99 {format_duration(row.p99)})"
    )


def _testcase_properties(row: SlaRow) -> list[tuple[str, Any]]:
    return [
        ("within_s", _number(row.within_s)),
        ("count", row.count),
        ("p50_s", _number(row.p50)),
        ("p90_s", _number(row.p90)),
        ("p99_s", _number(row.p99)),
        ("max_s", _number(row.max)),
        *((outcome, getattr(row, outcome)) for outcome in OUTCOMES),
        ("redelivered", row.redelivered),
        ("clock_skew", row.clock_skew),
        *((("latency_estimate", row.estimate),) if row.estimate else ()),
    ]


def render_junit(report: Mapping[str, Any]) -> str:
    """Render the report as a JUnit XML document (``junit.xml``).

    Properties per test case: ``within_s``, ``count``, ``p50_s``, ``p90_s``,
    ``p99_s``, ``max_s`` (empty while nothing matched) and the outcome counters. Suite
    properties: ``trigger``, ``window_end``, ``triggers``, ``duplicate_triggers``,
    ``violations``, ``consistent`` (and ``incomplete`` when the report is).

    Args:
        report: a report dict in the ``report.json`` shape.

    Returns:
        The XML document as text, UTF-8 declared.
    """
    trigger = str(report.get("trigger", ""))
    triggers = int(report.get("triggers") or 0)
    rows = sla_rows(report)
    listed = violations(report)
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for item in listed:
        by_type.setdefault(str(item.get("type", "")), []).append(item)

    testcases: list[ET.Element] = []
    failures = 0
    for row in rows:
        testcase = ET.Element("testcase", name=clean_text(row.type), classname=clean_text(trigger))
        testcase.set("time", "0")
        _properties(testcase, _testcase_properties(row))
        own = by_type.pop(row.type, [])
        if row.violations or own:
            failures += 1
            _failure(testcase, _row_message(row, triggers), own, max(row.violations, len(own)))
        testcases.append(testcase)

    # Violations that belong to no expectation (duplicate triggers, or types the engine added).
    duplicate_triggers = int(report.get("duplicate_triggers") or 0)
    rest = [item for items in by_type.values() for item in items]
    if duplicate_triggers or rest:
        testcase = ET.Element(
            "testcase", name=clean_text(f"{trigger} triggers"), classname=clean_text(trigger)
        )
        testcase.set("time", "0")
        kinds = counts_by_kind(rest)
        if duplicate_triggers:
            kinds["duplicate_trigger"] = max(duplicate_triggers, kinds.get("duplicate_trigger", 0))
        message = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        failures += 1
        _failure(testcase, f"{trigger}: {message}", rest, sum(kinds.values()))
        testcases.append(testcase)

    # Nothing decided (or pending with --fail-on-pending) fails a test case of its own, so a
    # CI that reads only the XML does not show green.
    kind = verdict_kind(report)
    if kind in ("nothing_decided", "pending"):
        testcase = ET.Element(
            "testcase", name=clean_text(f"{trigger} decided"), classname=clean_text(trigger)
        )
        testcase.set("time", "0")
        failures += 1
        if kind == "nothing_decided":
            message = f"NOTHING DECIDED: {report.get('nothing_decided')}"
        else:
            message = pending_note(report) or "pending keys (--fail-on-pending)"
        failure = ET.SubElement(
            testcase, "failure", message=shorten(message, 400), type=f"accord.{kind}"
        )
        failure.text = clean_text(message)
        testcases.append(testcase)

    compared = regressions(report)
    if compared is not None:
        testcase = ET.Element("testcase", name="no regressions against baseline")
        testcase.set("classname", "accord.baseline")
        testcase.set("time", "0")
        if compared:
            failures += 1
            failure = ET.SubElement(
                testcase,
                "failure",
                message=f"{len(compared)} regression(s) against the baseline",
                type="accord.regression",
            )
            failure.text = clean_text("\n".join(shorten(item.message, 400) for item in compared))
        testcases.append(testcase)

    reasons = incomplete(report)
    if reasons:
        testcase = ET.Element("testcase", name="the topics held every event read")
        testcase.set("classname", "accord.source")
        testcase.set("time", "0")
        failures += 1
        failure = ET.SubElement(
            testcase,
            "failure",
            message=clean_text(f"incomplete: {shorten(reasons[0], 400)}"),
            type="accord.incomplete",
        )
        failure.text = clean_text("\n".join(shorten(reason, 400) for reason in reasons))
        testcases.append(testcase)

    total = violation_total(report)
    attributes = {
        "name": SUITE_NAME,
        "tests": str(len(testcases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": "0",
        "time": "0",
    }
    window_end = report.get("window_end")
    if window_end:
        attributes["timestamp"] = clean_text(window_end)
    suites = ET.Element(
        "testsuites",
        name="accord",
        tests=attributes["tests"],
        failures=attributes["failures"],
        errors="0",
    )
    suite = ET.SubElement(suites, "testsuite", attributes)
    _properties(
        suite,
        [
            ("trigger", trigger),
            ("window_end", window_end or ""),
            ("triggers", triggers),
            ("duplicate_triggers", duplicate_triggers),
            ("violations", total),
            ("consistent", "true" if verdict(report) else "false"),
            *([("incomplete", "true")] if reasons else []),
            *((("verdict", kind),) if kind in ("nothing_decided", "pending") else ()),
            *((f"warning.{i}", text) for i, text in enumerate(warnings(report), 1)),
        ],
    )
    suite.extend(testcases)
    notes = warning_lines(report)
    if notes:
        ET.SubElement(suite, "system-out").text = clean_text("\n".join(notes))
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
