"""Eventual consistency: did every trigger lead to each expected event, in time, once?

:class:`ConsistencyEngine` audits a stream of CloudEvents (in any order) and reports per
expectation how many keys were ``ok``, ``late``, ``missing`` or ``pending``, what was
``duplicated``, ``orphaned``, ``redelivered`` or ``mismatched``, latency quantiles and the
``consistent_within`` staircase, in the ``report.json`` shape of issue 4 (see
``docs/consistency.md``). :func:`merge_reports` combines partial reports of auditors that
split a consumer group; :func:`regressions` compares with a baseline; :func:`eventually`
polls a condition with a deadline.
"""

from __future__ import annotations

from accord.consistency._baseline import regressions
from accord.consistency._engine import (
    DEFAULT_LATENESS_S,
    ConsistencyEngine,
    EventError,
    Expectation,
    parse_time,
)
from accord.consistency._eventually import EventuallyError, eventually
from accord.consistency._merge import merge_reports
from accord.consistency._verdict import VERDICTS, judge, read_summary

__all__ = [
    "DEFAULT_LATENESS_S",
    "VERDICTS",
    "ConsistencyEngine",
    "EventError",
    "EventuallyError",
    "Expectation",
    "eventually",
    "judge",
    "merge_reports",
    "parse_time",
    "read_summary",
    "regressions",
]
