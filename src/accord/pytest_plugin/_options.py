"""The plugin's options, their ini twins, and how they combine into :class:`Settings`.

Only the standard library and pytest are imported here: this module runs for every pytest
session of every project that has accord installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: Where a team keeps its contracts when it does not say otherwise (relative to the rootdir).
DEFAULT_CONTRACTS = "contracts"
DEFAULT_KAFKA = "embedded"
DEFAULT_TRANSPORT = "kafka"
#: How the reference system's services exchange events, and how accord_events reads them.
TRANSPORTS = ("kafka", "atom")

MARKER_HELP = (
    "accord_sla(**limits): per-test SLA limits by event type, overriding --accord-sla and the "
    'accord_sla ini key, e.g. accord_sla(**{"invoice.created": "5s"}) or '
    'accord_sla(invoice_created="5s") (an underscore in a name without a dot means a dot)'
)


@dataclass(frozen=True)
class Settings:
    """What the user chose, with the command line taking precedence over the ini file."""

    kafka: str = DEFAULT_KAFKA
    contracts: Path | None = None
    report_dir: Path | None = None
    sla: Mapping[str, float] = field(default_factory=dict)
    database_url: str | None = None
    topics: tuple[str, ...] = ()
    transport: str = DEFAULT_TRANSPORT


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--accord-...`` options and their ini twins."""
    group = parser.getgroup("accord", "accord: event contracts and consistency SLAs")
    group.addoption(
        "--accord-kafka",
        metavar="BROKER",
        default=None,
        help="broker for accord's fixtures: embedded (default), testcontainers or HOST:PORT "
        "[ini: accord_kafka]",
    )
    group.addoption(
        "--accord-transport",
        metavar="TRANSPORT",
        default=None,
        help="how the reference system moves events and accord_events reads them: kafka "
        "(default: topics on --accord-kafka) or atom (no broker: Atom feeds over HTTP) "
        "[ini: accord_transport]",
    )
    group.addoption(
        "--accord-contracts",
        metavar="DIR",
        default=None,
        help="contracts directory with schemas/<type>/v<N>.json, or an AsyncAPI 3 document "
        "(default: [tool.accord] contracts, else contracts/ under the rootdir) "
        "[ini: accord_contracts]",
    )
    group.addoption(
        "--accord-report",
        metavar="DIR",
        default=None,
        help="write the SLA report (report.json, junit.xml, report.html) into DIR "
        "[ini: accord_report]",
    )
    group.addoption(
        "--accord-sla",
        metavar="TYPE=DURATION",
        action="append",
        default=[],
        help="SLA limit for an expected event type, e.g. invoice.created=60s; repeatable "
        "[ini: accord_sla]",
    )
    group.addoption(
        "--accord-database-url",
        metavar="URL",
        default=None,
        help="PostgreSQL server for the reference system fixture; fresh databases are created "
        "there for the run and dropped after (default: SQLite files) [ini: accord_database_url]",
    )
    parser.addini(
        "accord_kafka",
        type="string",
        default=DEFAULT_KAFKA,
        help="broker for accord's fixtures: embedded, testcontainers or HOST:PORT",
    )
    parser.addini(
        "accord_transport",
        type="string",
        default=DEFAULT_TRANSPORT,
        help="kafka or atom: how the reference system moves events and accord_events reads them",
    )
    parser.addini(
        "accord_contracts",
        type="string",
        default="",
        help="contracts directory or AsyncAPI document, relative to the ini file "
        "(default: contracts)",
    )
    parser.addini(
        "accord_report",
        type="string",
        default="",
        help="directory for the SLA report files (relative to the ini file)",
    )
    parser.addini(
        "accord_sla",
        type="linelist",
        default=[],
        help="SLA limits, one TYPE=DURATION per line, e.g. invoice.created=60s",
    )
    parser.addini(
        "accord_database_url",
        type="string",
        default="",
        help="PostgreSQL server URL for the reference system fixture (default: SQLite)",
    )
    parser.addini(
        "accord_topics",
        type="args",
        default=[],
        help="topics accord_events records from the start of every test (default: none; "
        "call accord_events.record(...))",
    )


def parse_sla(entries: Iterable[str], where: str) -> dict[str, float]:
    """Parse ``TYPE=DURATION`` entries into seconds per event type.

    Raises:
        pytest.UsageError: naming the bad entry and where it came from.
    """
    from accord._durations import parse_duration
    from accord.errors import UsageError

    limits: dict[str, float] = {}
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        if not sep or not name.strip():
            raise pytest.UsageError(
                f"{where}: {entry!r} is not TYPE=DURATION; write e.g. invoice.created=60s"
            )
        try:
            limits[name.strip()] = parse_duration(value.strip())
        except UsageError as exc:
            raise pytest.UsageError(f"{where}: {name.strip()}: {exc}") from None
    return limits


def marker_limits(marker: pytest.Mark) -> dict[str, float]:
    """Limits of one ``accord_sla`` marker.

    Keyword names with a dot are event types as written; a name without a dot has its
    underscores turned into dots (``invoice_created`` -> ``invoice.created``). A single
    positional mapping is accepted too. Values are durations (``"5s"``) or seconds.

    Raises:
        pytest.UsageError: for a value that is not a duration.
    """
    from accord._durations import parse_duration
    from accord.errors import UsageError

    raw: dict[str, Any] = {}
    for arg in marker.args:
        if not isinstance(arg, Mapping):
            raise pytest.UsageError(
                f"accord_sla takes limits by event type, e.g. accord_sla(invoice_created='5s'); "
                f"got positional {arg!r}"
            )
        raw.update(arg)
    raw.update(marker.kwargs)
    limits: dict[str, float] = {}
    for name, value in raw.items():
        event_type = name if "." in name else name.replace("_", ".")
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            try:
                seconds = parse_duration(str(value))
            except UsageError as exc:
                raise pytest.UsageError(f"accord_sla({name}=...): {exc}") from None
        limits[event_type] = seconds
    return limits


def _ini_path(config: pytest.Config, value: str) -> Path:
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / value).resolve()


def read_settings(config: pytest.Config) -> Settings:
    """Combine the command line (first) and the ini file (second) into :class:`Settings`."""
    opt = config.option
    kafka = opt.accord_kafka or str(config.getini("accord_kafka")) or DEFAULT_KAFKA
    if kafka not in ("embedded", "testcontainers") and ":" not in kafka:
        raise pytest.UsageError(
            f"--accord-kafka={kafka!r}: use embedded, testcontainers or HOST:PORT"
        )

    transport = opt.accord_transport or str(config.getini("accord_transport")) or DEFAULT_TRANSPORT
    if transport not in TRANSPORTS:
        raise pytest.UsageError(f"--accord-transport={transport!r}: use {' or '.join(TRANSPORTS)}")

    contracts: Path | None
    if opt.accord_contracts:
        contracts = Path(opt.accord_contracts).resolve()
    elif config.getini("accord_contracts"):
        contracts = _ini_path(config, str(config.getini("accord_contracts")))
    else:
        from accord._config import contracts_setting
        from accord.errors import UsageError

        try:
            contracts = contracts_setting(config.rootpath).resolve()
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None

    report_dir: Path | None = None
    if opt.accord_report:
        report_dir = Path(opt.accord_report).resolve()
    elif config.getini("accord_report"):
        report_dir = _ini_path(config, str(config.getini("accord_report")))

    sla = parse_sla(config.getini("accord_sla"), "ini accord_sla")
    sla.update(parse_sla(opt.accord_sla or [], "--accord-sla"))

    database_url = opt.accord_database_url or str(config.getini("accord_database_url")) or None
    topics = tuple(str(t) for t in config.getini("accord_topics"))
    return Settings(
        kafka=kafka,
        contracts=contracts,
        report_dir=report_dir,
        sla=sla,
        database_url=database_url,
        topics=topics,
        transport=transport,
    )
