from __future__ import annotations

import argparse

import pytest

from accord._durations import duration_type, format_duration, parse_duration
from accord.errors import UsageError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60s", 60.0), ("2m", 120.0), ("500ms", 0.5), ("1.5h", 5400.0), ("1d", 86400.0),
        ("90", 90.0), (".5s", 0.5), ("2 min", 120.0), ("10S", 10.0), ("0s", 0.0),
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
