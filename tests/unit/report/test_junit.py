"""junit.xml: valid XML, one test case per expectation, failures and latency properties."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from accord.report import render_junit

pytestmark = pytest.mark.unit


def parse(report: dict[str, Any]) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    return root


def properties(element: ET.Element) -> dict[str, str]:
    node = element.find("properties")
    assert node is not None
    return {prop.get("name", ""): prop.get("value", "") for prop in node.findall("property")}


def test_consistent_report_has_passing_testcases(consistent_report: dict[str, Any]) -> None:
    root = parse(consistent_report)
    (suite,) = root.findall("testsuite")

    assert suite.get("name") == "accord.consistency"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")
    cases = suite.findall("testcase")
    assert [(c.get("name"), c.get("classname")) for c in cases] == [
        ("invoice.created", "order.accepted"),
        ("delivery.created", "order.accepted"),
    ]
    assert root.findall(".//failure") == []
    assert properties(suite) == {
        "trigger": "order.accepted",
        "window_end": "2026-11-26T14:10:00Z",
        "triggers": "3",
        "duplicate_triggers": "0",
        "violations": "0",
        "consistent": "true",
    }


def test_latency_figures_are_testcase_properties(violations_report: dict[str, Any]) -> None:
    case = parse(violations_report).find(".//testcase[@name='invoice.created']")
    assert case is not None

    props = properties(case)

    assert {k: props[k] for k in ("within_s", "count", "p50_s", "p90_s", "p99_s")} == {
        "within_s": "60.0", "count": "195", "p50_s": "0.42", "p90_s": "1.8", "p99_s": "130.5",
    }  # fmt: skip
    assert "p95_s" not in props  # one set of quantiles in every view: p50, p90, p99, max
    assert (props["max_s"], props["late"], props["ok"], props["pending"]) == (
        "244.8", "5", "190", "4",
    )  # fmt: skip


def test_failures_list_the_violations_of_their_type(violations_report: dict[str, Any]) -> None:
    suite = parse(violations_report).find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.findall("testcase")}

    # The duplicate trigger belongs to no expectation: it gets a test case of the trigger.
    assert list(cases) == ["invoice.created", "delivery.created", "order.accepted triggers"]
    assert suite.get("failures") == "3"
    invoice = cases["invoice.created"].find("failure")
    assert invoice is not None
    assert invoice.get("message") == (
        "invoice.created: 5 late, 1 missing, 1 orphaned (of 200 triggers; limit 60s; p99 2m10s)"
    )
    lines = (invoice.text or "").splitlines()
    assert len(lines) == 7
    assert lines[0] == (
        "late invoice.created key=0b7d4c1e-0000-4000-8000-000000000000 "
        "at 2026-11-26T14:02:10Z: latency 75.2s > limit 60s"
    )
    delivery = cases["delivery.created"].find("failure")
    assert delivery is not None
    assert [line.split()[0] for line in (delivery.text or "").splitlines()] == [
        "missing", "duplicated", "mismatched",
    ]  # fmt: skip
    trigger = cases["order.accepted triggers"].find("failure")
    assert trigger is not None
    assert trigger.get("message") == "order.accepted: 1 duplicate_trigger"


def test_regressions_fail_a_baseline_testcase(regressions_report: dict[str, Any]) -> None:
    case = parse(regressions_report).find(".//testcase[@classname='accord.baseline']")
    assert case is not None

    failure = case.find("failure")

    assert failure is not None
    assert failure.get("message") == "2 regression(s) against the baseline"
    assert (failure.text or "").splitlines() == [
        "invoice.created late went up from 0 to 5",
        "invoice.created p99 worse: 1.92s -> 130.5s (tolerance 10%)",
    ]


def test_no_baseline_testcase_without_a_comparison(violations_report: dict[str, Any]) -> None:
    assert parse(violations_report).find(".//testcase[@classname='accord.baseline']") is None
    violations_report["regressions"] = []
    case = parse(violations_report).find(".//testcase[@classname='accord.baseline']")
    assert case is not None and case.find("failure") is None


def test_hostile_strings_stay_valid_xml(hostile_report: dict[str, Any]) -> None:
    root = parse(hostile_report)

    assert "<script>" not in render_junit(hostile_report)
    names = [case.get("name") for case in root.iter("testcase")]
    assert names[:2] == ["delivery.created", "<b>invoice</b>.created"]
    text = "\n".join(failure.text or "" for failure in root.iter("failure"))
    assert "<script>alert('key')</script>" in text  # escaped in the file, intact when parsed
    assert "\\x1b[31mred" in text and "\x1b" not in text and "\x00" not in text


def test_a_huge_failure_is_capped(many_violations_report: dict[str, Any]) -> None:
    failure = parse(many_violations_report).find(".//testcase[@name='invoice.created']/failure")
    assert failure is not None

    lines = (failure.text or "").splitlines()

    assert len(lines) == 1001
    assert lines[-1] == "... and 4000 more (see report.json)"
