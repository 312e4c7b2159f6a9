"""``accord schema validate``: check CloudEvents from files, stdin or Kafka against the schemas."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from accord.schemas import SchemaRegistry


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "validate",
        help="validate CloudEvents (envelope and data) against the event schemas",
        description=(
            "Validate structured CloudEvents against contracts/schemas: the envelope "
            "(specversion, id, source, type, time, content type, partitionkey = record key) "
            "and the data. Prints one line per violation (where: type id: pointer: reason) "
            "and a final count. Exit 0 when all are valid, 1 when any is not, 2 for unusable "
            "input."
        ),
    )
    parser.add_argument(
        "--contracts", default=None, metavar="DIR|ASYNCAPI",
        help="contracts directory with schemas/<type>/vN.json, or an AsyncAPI 3 document "
        "(default: [tool.accord] contracts in ./pyproject.toml, else contracts)",
    )
    parser.add_argument(
        "sources", nargs="+", metavar="SOURCE",
        help="a .jsonl file of CloudEvents, '-' for stdin, kafka://HOST:PORT/TOPIC[,TOPIC] "
        "or atom+http://HOST:PORT/feed[,...] (read from the start to the current end)",
    )
    parser.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from accord.sources import open_source

    registry = load_contracts(args.contracts)
    sources = [open_source(spec) for spec in args.sources]  # bad specs fail before any output
    counts = _Counts()
    out = sys.stdout
    for source in sources:
        _check_source(registry, source, counts, out)
    print(
        f"{_plural(counts.events, 'event')} checked: {counts.events - counts.invalid} valid, "
        f"{counts.invalid} invalid ({_plural(counts.violations, 'violation')})",
        file=out,
    )
    return 1 if counts.invalid else 0


def load_contracts(value: str | None) -> SchemaRegistry:
    """``--contracts`` (a directory or an AsyncAPI document), else ``[tool.accord]``."""
    from accord._config import compatibility_overrides, contracts_setting
    from accord.schemas import SchemaRegistry

    default_mode, modes = compatibility_overrides()
    path = value if value is not None else contracts_setting()
    return SchemaRegistry.load(path, default_mode=default_mode, modes=modes)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Counts:
    __slots__ = ("events", "invalid", "violations")

    def __init__(self) -> None:
        self.events = 0
        self.invalid = 0
        self.violations = 0


def _check_source(registry: SchemaRegistry, source: Any, counts: _Counts, out: TextIO) -> None:
    from accord.events import Location
    from accord.sources import JsonlSource, KafkaSource

    validate = registry.validate
    if isinstance(source, JsonlSource):
        # Lines numbers only; a Location is built for failing events alone.
        name = source.name
        for event, line in source.iter_dicts():
            counts.events += 1
            if registry.is_valid(event):
                continue
            _report(validate(event, where=Location(name, line=line)), counts, out)
        return
    reported = 0
    undecodable: list[Any] = getattr(source, "undecodable", [])
    mode = " in Kafka binary mode" if isinstance(source, KafkaSource) else ""
    for event, where in source:
        # Records that are not CloudEvents are skipped by the source; report them in order.
        reported = _report_undecodable(undecodable, reported, counts, out, mode)
        counts.events += 1
        key = where.key if isinstance(source, KafkaSource) else None
        violations = validate(event, key, where)
        if violations:
            _report(violations, counts, out)
    _report_undecodable(undecodable, reported, counts, out, mode)


def _report(violations: list[Any], counts: _Counts, out: TextIO) -> None:
    counts.invalid += 1
    counts.violations += len(violations)
    for violation in violations:
        print(violation, file=out)


def _report_undecodable(
    undecodable: list[Any], reported: int, counts: _Counts, out: TextIO, mode: str = ""
) -> int:
    for where, reason in undecodable[reported:]:
        counts.events += 1
        counts.invalid += 1
        counts.violations += 1
        print(f"{where}: ? ?: /: not a CloudEvent{mode} ({reason})", file=out)
    return len(undecodable)
