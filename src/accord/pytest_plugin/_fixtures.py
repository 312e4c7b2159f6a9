"""The fixtures of accord's pytest plugin (registered by the plugin in ``pytest_configure``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from accord.pytest_plugin._options import marker_limits
from accord.pytest_plugin._state import (
    SessionSLA,
    TestChecks,
    checks_key,
    session_sla_key,
    settings_key,
)

if TYPE_CHECKING:
    from accord.broker import Broker
    from accord.pytest_plugin._consistency import ConsistencyCheck
    from accord.pytest_plugin._recorder import EventRecorder
    from accord.system import ReferenceSystem


@pytest.fixture(scope="session")
def accord_broker(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Broker]:
    """The broker chosen with ``--accord-kafka`` (embedded Tansu by default), for the session.

    ``testcontainers`` without a Docker engine skips the tests that need it, saying why.
    """
    from accord.broker import open_broker
    from accord.errors import BrokerError

    spec = pytestconfig.stash[settings_key].kafka
    kwargs: dict[str, Any] = {}
    if spec == "embedded":
        kwargs["log_path"] = tmp_path_factory.mktemp("accord-broker") / "tansu.log"
    broker = open_broker(spec, **kwargs)
    try:
        broker.start()
    except BrokerError as exc:
        broker.stop()
        if spec == "testcontainers":
            pytest.skip(f"accord: --accord-kafka=testcontainers: {exc}")
        pytest.fail(f"accord: --accord-kafka={spec}: {exc}", pytrace=False)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def accord_contracts(pytestconfig: pytest.Config) -> Any:
    """The contracts (``--accord-contracts``: a directory or an AsyncAPI document; default
    ``[tool.accord] contracts``, else ``contracts/``) as a ``SchemaRegistry``."""
    from accord._config import compatibility_overrides
    from accord.errors import UsageError
    from accord.schemas import SchemaRegistry

    directory = pytestconfig.stash[settings_key].contracts
    if directory is None or not directory.exists():
        pytest.fail(
            f"accord: no contracts at {directory}: pass --accord-contracts DIR|ASYNCAPI "
            "or set accord_contracts in the ini file (or contracts in [tool.accord])",
            pytrace=False,
        )
    try:
        default_mode, modes = compatibility_overrides(pytestconfig.rootpath)
        return SchemaRegistry.load(directory, default_mode=default_mode, modes=modes)
    except UsageError as exc:
        pytest.fail(f"accord: {exc}", pytrace=False)


def _checks(request: pytest.FixtureRequest) -> TestChecks:
    node: pytest.Item = request.node
    checks = node.stash.get(checks_key, None)
    if checks is None:
        checks = TestChecks()
        node.stash[checks_key] = checks
    return checks


@pytest.fixture(scope="session")
def accord_transport(pytestconfig: pytest.Config) -> str:
    """``kafka`` or ``atom`` (``--accord-transport``); override it to run both, e.g. with
    ``@pytest.fixture(scope="session", params=["kafka", "atom"])`` returning ``request.param``.
    """
    return pytestconfig.stash[settings_key].transport


@pytest.fixture(scope="session")
def accord_feeds(request: pytest.FixtureRequest, accord_transport: str) -> dict[str, str]:
    """With the Atom transport, the feeds ``accord_events.record`` knows by name.

    By default the reference system's: ``order``, ``delivery`` and ``invoice`` (the names of
    the Kafka topics that carry the same events), each the head URL of a service's feed.
    Override it to record your own system's feeds.
    """
    if accord_transport != "atom":
        return {}
    from accord.system import FEED_OF_TOPIC

    system = request.getfixturevalue("accord_reference_system")
    feeds = system.feeds
    out = {topic: feeds[service] for topic, service in FEED_OF_TOPIC.items()}
    # The order feed's dead letters are in its pollers' tables: both feeds under one name,
    # as both Kafka consumers write to the one topic order.dlq.
    out["order.dlq"] = ",".join(system.dead_letter_feeds.values())
    return out


@pytest.fixture
def accord_events(
    request: pytest.FixtureRequest, accord_transport: str, accord_contracts: Any
) -> Iterator[EventRecorder]:
    """Records every event on chosen topics (or Atom feeds) during the test and validates it.

    Call ``accord_events.record("order", "invoice")`` (or set the ``accord_topics`` ini key)
    to choose topics; ``accord_events.wait_for(type, key, within="5s")`` waits for one event;
    ``accord_events.events`` lists them. A recorded event that breaks its schema fails the
    test, naming topic/partition@offset (or feed page and position), type, id, JSON pointer
    and reason. With ``--accord-transport atom`` the names are those of ``accord_feeds``.
    """
    from accord.pytest_plugin._recorder import EventRecorder

    settings = request.config.stash[settings_key]
    if accord_transport == "atom":
        recorder = EventRecorder(
            None,
            accord_contracts,
            contracts=str(settings.contracts),
            feeds=request.getfixturevalue("accord_feeds"),
        )
    else:
        recorder = EventRecorder(
            request.getfixturevalue("accord_broker"),
            accord_contracts,
            contracts=str(settings.contracts),
        )
    _checks(request).recorder = recorder
    try:
        if settings.topics:
            recorder.record(*settings.topics)
        yield recorder
    finally:
        recorder.close()


@pytest.fixture(scope="session")
def _accord_session_sla(
    pytestconfig: pytest.Config, record_testsuite_property: Callable[[str, object], None]
) -> Iterator[SessionSLA]:
    """Aggregates the SLA over the session; at the end builds and writes the reports."""
    state = pytestconfig.stash[session_sla_key]
    yield state
    if not state.groups:
        return
    reports = state.build()
    for report in reports:
        for name, value in _suite_properties(report):
            record_testsuite_property(name, value)
    report_dir = pytestconfig.stash[settings_key].report_dir
    if report_dir is not None and reports:
        from accord.report import write_reports

        named: set[object] = set()
        for index, report in enumerate(reports):
            target = report_dir if index == 0 else report_dir / f"group-{index + 1}"
            transport = report.get("transport")
            if index > 0 and transport and transport not in named:
                # The first group of another transport (checks/ on Atom): named by it.
                target = report_dir / str(transport)
            named.add(transport)
            state.written += write_reports(report, target, formats=("json", "junit", "html"))


def _suite_properties(report: dict[str, Any]) -> list[tuple[str, object]]:
    props: list[tuple[str, object]] = []
    for event_type, figures in report.get("expectations", {}).items():
        prefix = f"accord.{event_type}"
        for name in ("ok", "late", "missing", "duplicated"):
            props.append((f"{prefix}.{name}", figures.get(name, 0)))
        latency = figures.get("latency_s", {})
        for name in ("p50", "p90", "p99", "max"):  # the quantiles of every view
            props.append((f"{prefix}.{name}_s", latency.get(name, 0)))
    for name in ("dead_lettered", "untriggered"):
        if report.get(name):
            props.append((f"accord.{name}", report[name]))
    return props


@pytest.fixture
def accord_consistency(
    request: pytest.FixtureRequest,
    accord_events: EventRecorder,
    _accord_session_sla: SessionSLA,
) -> ConsistencyCheck:
    """Checks that every trigger (``order.accepted``) gets its expected events in time.

    Limits come from the ini key ``accord_sla``, then ``--accord-sla``, then the test's
    ``accord_sla`` marker (the most specific wins); ``accord_consistency.expect(type,
    within=...)`` adds or overrides one. The check runs when the test body ends (or at
    ``accord_consistency.assert_consistent()``) and fails the test naming each late or
    missing event, how late it was and what the limit was.
    """
    from accord.pytest_plugin._consistency import ConsistencyCheck

    limits = dict(request.config.stash[settings_key].sla)
    for marker in reversed(list(request.node.iter_markers("accord_sla"))):
        limits.update(marker_limits(marker))
    check = ConsistencyCheck(accord_events, limits)
    _checks(request).consistency = check
    return check


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """``accord.consistency.eventually``: poll a function until it holds, with a deadline."""
    from accord.consistency import eventually as _eventually

    return _eventually


@pytest.fixture(scope="session")
def accord_reference_system_options() -> dict[str, Any]:
    """Extra keyword arguments for ``ReferenceSystem`` (override it in a conftest)."""
    return {}


@pytest.fixture(scope="session")
def accord_reference_system(
    request: pytest.FixtureRequest,
    pytestconfig: pytest.Config,
    accord_transport: str,
    accord_reference_system_options: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ReferenceSystem]:
    """The order, shipping and invoicing services running against ``accord_broker``, or
    with ``--accord-transport atom`` on Atom feeds (no broker).

    SQLite files by default; with ``--accord-database-url`` fresh PostgreSQL databases are
    created on that server for the run (and dropped at the end). Every service runs on a
    free port and is stopped at the end of the session with nothing left listening.
    """
    from accord.system import ReferenceSystem

    settings = pytestconfig.stash[settings_key]
    options = dict(accord_reference_system_options)
    options.setdefault("workdir", tmp_path_factory.mktemp(f"reference-system-{accord_transport}"))
    broker: Broker | None = None
    if accord_transport == "atom":
        options["transport"] = "atom"
    else:
        broker = request.getfixturevalue("accord_broker")
    from accord.errors import AccordError

    # ReferenceSystem creates fresh databases for this run on that server and drops them.
    system = ReferenceSystem(broker, database_url=settings.database_url, **options)
    problem = None
    try:
        system.start()
    except AccordError as exc:  # an unreachable database, a service that would not start
        problem = f"accord: reference system: {exc}"
    if problem is not None:  # outside the except: no "during handling..." chain
        pytest.fail(problem, pytrace=False)
    try:
        yield system
    finally:
        system.stop()
