from __future__ import annotations

import argparse

import pytest

from accord._durations import duration_type, format_duration, parse_duration
from accord.errors import UsageError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60s", 60.0),
        ("2m", 120.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
        ("1d", 86400.0),
        ("90", 90.0),
        (".5s", 0.5),
        ("2 min", 120.0),
        ("10S", 10.0),
        ("0s", 0.0),
    ],
)
def test_parses(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "abc", "-1s", "5x", "1e400s", "1s2", "1.2.3s", "5 m s"])
def test_rejects_with_a_usage_error_that_shows_the_format(text: str) -> None:
    with pytest.raises(UsageError, match=r"is not a duration: use .* 500ms, 60s, 2m"):
        parse_duration(text)


def test_argparse_type_turns_a_bad_value_into_a_parser_error() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--within", type=duration_type)
    assert parser.parse_args(["--within", "2m"]).within == 120.0
    with pytest.raises(argparse.ArgumentTypeError, match="'soon' is not a duration"):
        duration_type("soon")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0123, "12ms"), (0.85, "850ms"), (12.34, "12.3s"), (125, "2m05s"), (7300, "2h02m")],
)
def test_formats_the_short_way(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0000425, "42us"), (0.0025, "2.5ms"), (0.9996, "1s"), (1.53316, "1.53s"),
        (60.0, "60s"), (99.97, "1m40s"), (600, "10m"), (5400, "1h30m"), (86400, "1d"),
        (36 * 3600, "1d12h"), (None, "-"), (float("inf"), "-"), (-2, "-2s"),
    ],
)  # fmt: skip
def test_one_way_to_write_a_duration(seconds: object, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("latency", "limit", "text"),
    [(1.000001, 1.0, "1.000001s"), (60.04, 60.0, "60.04s"), (3600.5, 3600.0, "1h (3600.5s)"),
     (2.5, 1.0, "2.5s")],
)  # fmt: skip
def test_a_late_latency_never_reads_as_its_limit(latency: float, limit: float, text: str) -> None:
    assert format_duration(latency, apart_from=limit) == text
    assert text != format_duration(limit)


def test_every_view_writes_durations_the_same_way() -> None:
    from accord.consistency import ConsistencyEngine, Expectation
    from accord.report import render_junit, render_markdown, terminal_table

    engine = ConsistencyEngine("order.accepted", [Expectation("invoice.created", 1.0)])
    for kind, key, time in (
        ("order.accepted", "o-1", "2026-01-01T00:00:00Z"),
        ("invoice.created", "o-1", "2026-01-01T00:00:01.53316Z"),
    ):
        engine.add({"id": kind + key, "type": kind, "time": time, "partitionkey": key,
                    "specversion": "1.0", "source": "/t"})  # fmt: skip
    report = engine.report()
    (late,) = report["violations"]
    assert late["detail"] == "invoice.created after 1.53s > 1s"
    table = terminal_table(report)
    assert "invoice.created after 1.53s > 1s" in table
    assert table.splitlines()[2].split()[1] == "1s"
    assert "limit 1s; p99 1.53s" in render_junit(report)
    assert "| `invoice.created` | 1s |" in render_markdown(report)
