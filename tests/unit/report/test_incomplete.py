"""An ``incomplete`` report (the topics lost or replaced records) is no verdict anywhere."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from accord.consistency import merge_reports
from accord.report import render_json, render_junit, terminal_table, verdict_line
from accord.report._model import incomplete, verdict

pytestmark = pytest.mark.unit

REASON = "topic 'order' was recreated while it was read (topic id A became B)"


def test_an_incomplete_report_is_not_consistent_on_the_terminal(
    consistent_report: dict[str, Any],
) -> None:
    assert verdict(consistent_report)
    report = dict(consistent_report, incomplete=[REASON])
    assert not verdict(report)
    assert incomplete(report) == [REASON]
    table = terminal_table(report)
    assert f"incomplete:\n  {REASON}" in table
    assert table.endswith(verdict_line(report))
    assert verdict_line(report).startswith("INCOMPLETE: the topics lost or replaced records")
    assert "CONSISTENT:" not in table


def test_json_keeps_the_reasons_and_junit_fails_a_source_test_case(
    consistent_report: dict[str, Any],
) -> None:
    report = dict(consistent_report, incomplete=[REASON, "order/0: offsets went back"])
    assert json.loads(render_json(report))["incomplete"] == report["incomplete"]
    root = ET.fromstring(render_junit(report).encode())
    [case] = [c for c in root.iter("testcase") if c.get("classname") == "accord.source"]
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "accord.incomplete"
    assert failure.text == f"{REASON}\norder/0: offsets went back"
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["incomplete"] == "true" and props["consistent"] == "false"
    plain = ET.fromstring(render_junit(consistent_report).encode())
    assert not [c for c in plain.iter("testcase") if c.get("classname") == "accord.source"]


def test_a_merge_with_an_incomplete_partial_is_incomplete(
    consistent_report: dict[str, Any],
) -> None:
    whole = dict(consistent_report, partial=True)
    doubtful = dict(whole, incomplete=[REASON])
    merged = merge_reports([whole, doubtful])
    assert merged["incomplete"] == [REASON] and merged["consistent"] is False
    assert "incomplete" not in merge_reports([whole, whole])
