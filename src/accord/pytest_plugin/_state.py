"""Plugin state kept in ``pytest.StashKey``s: the settings, per-test checks, the session SLA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from accord.pytest_plugin._options import Settings

if TYPE_CHECKING:
    from accord.pytest_plugin._consistency import ConsistencyCheck
    from accord.pytest_plugin._recorder import EventRecorder


@dataclass
class TestChecks:
    """The accord fixtures a test uses; the plugin checks them after the test's call."""

    __test__ = False

    recorder: EventRecorder | None = None
    consistency: ConsistencyCheck | None = None


@dataclass
class _Group:
    trigger: str
    expectations: tuple[tuple[str, float], ...]
    transport: str = "kafka"
    events: list[dict[str, Any]] = field(default_factory=list)
    until: datetime | None = None
    tests: int = 0
    sources: list[str] = field(default_factory=list)
    accepted: dict[str, datetime | None] = field(default_factory=dict)
    tracked: bool = False


@dataclass
class SessionSLA:
    """What the tests that used ``accord_consistency`` saw, aggregated for the summary.

    Tests with the same trigger, expectations (types and limits) and transport form one group;
    each group yields one report over all of their events (a run over Kafka and over Atom
    feeds gets one report each, not a mix of both latencies).
    """

    groups: dict[tuple[str, tuple[tuple[str, float], ...], str], _Group] = field(
        default_factory=dict
    )
    reports: list[dict[str, Any]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def add(self, check: ConsistencyCheck) -> None:
        expectations = tuple(sorted(check.expectations.items()))
        transport = check.transport
        group = self.groups.setdefault(
            (check.trigger, expectations, transport),
            _Group(check.trigger, expectations, transport),
        )
        group.events += check.events_checked
        group.accepted.update(check.accepted_checked)
        group.tracked = group.tracked or bool(check._tracked)
        group.tests += 1
        group.sources += [s for s in check.sources if s not in group.sources]
        if check.until is not None and (group.until is None or check.until > group.until):
            group.until = check.until

    def build(self) -> list[dict[str, Any]]:
        """One engine report per group (the engine's semantics over all the group's events)."""
        from accord.consistency import ConsistencyEngine, Expectation
        from accord.report import run_origin

        reports = []
        for group in self.groups.values():
            engine = ConsistencyEngine(
                trigger=group.trigger,
                expectations=[Expectation(t, within_s=s) for t, s in group.expectations],
            )
            for event in group.events:
                engine.add(event)
            # every test's history is closed: a key without a match is missing
            report: dict[str, Any] = engine.report(
                until=group.until,
                complete=True,
                accepted=group.accepted if group.tracked else None,
            )
            report["tests"] = group.tests
            report["origin"] = run_origin(sources=group.sources)
            if len({g.transport for g in self.groups.values()}) > 1:
                report["transport"] = group.transport  # named when the session had several
            reports.append(report)
        self.reports = reports
        return reports


settings_key = pytest.StashKey[Settings]()
checks_key = pytest.StashKey[TestChecks]()
session_sla_key = pytest.StashKey[SessionSLA]()
