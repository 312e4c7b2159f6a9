"""accord's pytest plugin (``pytest11`` entry point ``accord``).

Options (each with an ini twin): ``--accord-kafka``, ``--accord-transport``,
``--accord-contracts``, ``--accord-report``, ``--accord-sla TYPE=DURATION``,
``--accord-database-url``.
Fixtures: ``accord_broker``, ``accord_contracts``, ``accord_events``,
``accord_consistency``, ``eventually``, ``accord_reference_system``, ``accord_transport``,
``accord_feeds``.
Marker: ``accord_sla(**limits)``.

This module holds hooks only and stays cheap to import: the fixtures and everything heavy
(Kafka clients, the engine, the schema registry) load when a test first needs them. The
classes re-exported here are what the fixtures return and raise, for type hints.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

from accord.pytest_plugin._consistency import ConsistencyCheck, SLAViolationError
from accord.pytest_plugin._options import MARKER_HELP, add_options, read_settings
from accord.pytest_plugin._recorder import (
    EventDeadLettered,
    EventProblem,
    EventRecorder,
    EventSchemaError,
    EventWaitTimeout,
)
from accord.pytest_plugin._state import SessionSLA, checks_key, session_sla_key, settings_key

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

__all__ = [
    "ConsistencyCheck",
    "EventDeadLettered",
    "EventProblem",
    "EventRecorder",
    "EventSchemaError",
    "EventWaitTimeout",
    "SLAViolationError",
]

_FIXTURES_PLUGIN = "accord-fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


#: kafka-python loads its protocol schemas with importlib.resources' legacy API; the fixtures
#: import kafka lazily inside a test, so without these filters each test that records events
#: would list about 200 warnings that are kafka-python's, not the user's.
_KAFKA_WARNINGS = (
    r"ignore:read_text is deprecated:DeprecationWarning",
    r"ignore:open_text is deprecated:DeprecationWarning",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    for line in _KAFKA_WARNINGS:
        config.addinivalue_line("filterwarnings", line)
    config.stash[settings_key] = read_settings(config)
    config.stash[session_sla_key] = SessionSLA()
    if not config.pluginmanager.has_plugin(_FIXTURES_PLUGIN):
        from accord.pytest_plugin import _fixtures

        config.pluginmanager.register(_fixtures, _FIXTURES_PLUGIN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After the test body: check its events (schemas) and its SLA expectations."""
    __tracebackhide__ = True
    try:
        result = yield
    except BaseException:
        checks = item.stash.get(checks_key, None)
        if checks is not None:
            _keep_sla(item)
            if checks.recorder is not None and checks.recorder.problems:
                item.add_report_section(
                    "call",
                    "accord",
                    "\n".join(f"schema violation: {p}" for p in checks.recorder.problems),
                )
        raise
    if item.stash.get(checks_key, None) is not None:
        try:
            _after_call(item)
        finally:
            _keep_sla(item)
    return result


def _keep_sla(item: pytest.Item) -> None:
    """Add a test's SLA figures to the session summary and to its JUnit properties."""
    consistency = item.stash[checks_key].consistency
    if consistency is None or consistency.report is None or consistency.kept:
        return
    consistency.kept = True
    item.config.stash[session_sla_key].add(consistency)
    item.user_properties.extend(_test_properties(consistency.report))


def _after_call(item: pytest.Item) -> None:
    __tracebackhide__ = True
    checks = item.stash[checks_key]
    failure: AssertionError | None = None
    consistency = checks.consistency
    if consistency is not None and not consistency.asserted:
        try:
            consistency.assert_consistent()
        except AssertionError as exc:
            failure = exc
    if checks.recorder is not None:
        checks.recorder.drain()
        try:
            checks.recorder.check()
        except AssertionError as exc:
            # A broken schema explains most else that went wrong: it comes first.
            if failure is not None:
                exc.args = (f"{exc}\n\n{failure}",)
            failure = exc
    if failure is not None:
        raise failure


def _test_properties(report: dict[str, object]) -> list[tuple[str, object]]:
    props: list[tuple[str, object]] = []
    expectations = report.get("expectations")
    if not isinstance(expectations, dict):
        return props
    for event_type, figures in expectations.items():
        latency = figures.get("latency_s", {})
        for name in ("p50", "p90", "p99", "max"):  # the quantiles of every view
            props.append((f"accord.{event_type}.{name}_s", latency.get(name, 0)))
        for name in ("ok", "late", "missing", "duplicated"):
            props.append((f"accord.{event_type}.{name}", figures.get(name, 0)))
    # violations of the trigger itself, and a test that decided nothing
    for name in ("dead_lettered", "untriggered"):
        if report.get(name):
            props.append((f"accord.{name}", report[name]))
    if report.get("verdict") not in (None, "consistent", "not_consistent"):
        props.append(("accord.verdict", report["verdict"]))
    return props


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    state = config.stash.get(session_sla_key, None)
    if state is None or not state.reports:
        return
    from accord.report import terminal_table

    for report in state.reports:
        tests = report.get("tests", 0)
        transport = f" on {report['transport']}" if report.get("transport") else ""
        terminalreporter.write_sep(
            "=",
            f"accord SLA: {report.get('trigger')} over {tests} test{'s' if tests != 1 else ''}"
            + transport,
        )
        for line in terminal_table(report).splitlines():
            terminalreporter.write_line(line)
    if state.written:
        terminalreporter.write_line(
            "accord reports: " + ", ".join(str(path) for path in state.written)
        )
