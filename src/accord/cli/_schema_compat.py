"""``accord schema compat``: Confluent Schema Registry's JSON Schema compatibility check."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from accord.errors import UsageError

if TYPE_CHECKING:
    from accord.schemas.compat import Change, CompatResult

_MODES = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``accord schema compat``."""
    compat = sub.add_parser(
        "compat",
        help="check schema versions for compatibility (Confluent Schema Registry rules)",
        description="Check that the last schema may follow the earlier ones under a "
        "compatibility mode, with Confluent Schema Registry's JSON Schema rules. "
        "Exit 0 compatible, 1 incompatible, 2 unusable input.",
    )
    compat.add_argument(
        "files",
        nargs="*",
        metavar="SCHEMA.json",
        help="schema versions, oldest first; the last is the new schema",
    )
    compat.add_argument(
        "--mode",
        default=None,
        metavar="MODE",
        help=f"one of {', '.join(_MODES)} (default: BACKWARD)",
    )
    compat.add_argument(
        "--policy",
        choices=("strict", "lenient"),
        default="strict",
        help="Confluent's compatibilityPolicy: strict (default) or lenient, which also accepts "
        "the content-model changes listed in docs/schema-compat.md",
    )
    compat.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    compat.add_argument(
        "--contracts",
        default=None,
        metavar="DIR|ASYNCAPI",
        help="check every event type in DIR/schemas/<type>/vN.json against its mode in "
        "DIR/compatibility.toml (or every type's message versions in an AsyncAPI 3 document "
        "against its x-accord-compatibility) instead of the files given; with no files and "
        "no --asyncapi the default is [tool.accord] contracts in ./pyproject.toml, else "
        "./contracts",
    )
    compat.add_argument(
        "--asyncapi",
        nargs=2,
        default=None,
        metavar=("OLD", "NEW"),
        help="compare two AsyncAPI 3 documents: every channel and message, payload and key "
        "schemas under each type's mode",
    )
    compat.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from accord.schemas.compat import check_compatibility, load_schema_file

    if args.mode is not None and args.mode.strip().upper() not in _MODES:
        raise UsageError(f"unknown --mode {args.mode!r}; use one of {', '.join(_MODES)}")
    if args.asyncapi is not None:
        if args.files or args.contracts is not None:
            raise UsageError("give either --asyncapi OLD NEW, --contracts or schema files")
        if args.mode is not None:
            raise UsageError(
                "--mode does not apply to --asyncapi: each message's mode comes "
                "from the document (x-accord-compatibility)"
            )
        return _asyncapi(args.asyncapi[0], args.asyncapi[1], args.format, args.policy)
    contracts = args.contracts
    if contracts is None and not args.files:
        contracts = _configured_contracts()
    if contracts is not None:
        if args.files:
            raise UsageError("give either --contracts DIR|ASYNCAPI or schema files, not both")
        if args.mode is not None:
            raise UsageError(
                "--mode does not apply to --contracts: the modes come from "
                "DIR/compatibility.toml or the AsyncAPI document"
            )
        return _contracts(contracts, args.format, args.policy)
    if len(args.files) < 2:
        raise UsageError(
            "give at least two schema files, oldest first (e.g. v1.json v2.json), "
            "or --contracts DIR|ASYNCAPI"
        )
    schemas = [load_schema_file(f) for f in args.files]
    result = check_compatibility(
        schemas, args.mode or "BACKWARD", names=list(args.files), policy=args.policy
    )
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for line in _lines(result):
            print(line)
        print(_verdict(result, list(args.files)))
    return 0 if result.compatible else 1


def _configured_contracts() -> str:
    """``[tool.accord] contracts`` of ./pyproject.toml, else ``./contracts``, as the other
    commands take it; said on stderr, since no argument named it."""
    from accord._config import contracts_setting, tool_config

    path = contracts_setting()
    configured = "contracts" in tool_config()
    if not path.exists():
        where, fix = (
            (f"[tool.accord] contracts {path}", "fix") if configured else (f"{path}", "set")
        )
        raise UsageError(
            f"nothing to check: {where} does not exist; give two schema files oldest first "
            "(v1.json v2.json), --contracts DIR|ASYNCAPI, --asyncapi OLD NEW, or "
            f"{fix} [tool.accord] contracts in pyproject.toml"
        )
    source = "[tool.accord] contracts" if configured else "the default: no [tool.accord] contracts"
    print(f"accord: checking {path} ({source})", file=sys.stderr)
    return str(path)


def _lines(result: CompatResult) -> list[str]:
    """One line per breaking change, then a note per keyword Confluent does not compare."""
    out = [_line(c) for c in result.breaking]
    out += [f"note: {_line(c)}" for c in result.not_compared]
    return out


def _line(change: Change) -> str:
    return f"{change.path}: {change.kind}: {change.message}"


def _verdict(result: CompatResult, names: list[str]) -> str:
    new = names[-1]
    lenient = " (lenient policy)" if result.policy == "lenient" else ""
    if result.compatible:
        return f"compatible: {new} may follow under {result.mode}{lenient}"
    count = len(result.breaking)
    return (
        f"INCOMPATIBLE: {new} breaks {result.mode}{lenient} with {count} breaking "
        f"change{'s' if count != 1 else ''}"
    )


def _asyncapi(old: str, new: str, fmt: str, policy: str) -> int:
    from accord.schemas._asyncapi_compat import compare_asyncapi

    diff = compare_asyncapi(old, new, policy=policy)
    if fmt == "json":
        print(json.dumps(diff.to_dict(), indent=2))
    else:
        for line in diff.format_text():
            print(line)
    return 0 if diff.compatible else 1


def _contracts(directory: str, fmt: str, policy: str) -> int:
    from accord.schemas._asyncapi import is_asyncapi_path
    from accord.schemas.compat import check_contracts

    if is_asyncapi_path(directory):
        from accord.schemas._asyncapi_compat import check_asyncapi_contracts

        reports = check_asyncapi_contracts(directory, policy=policy)
    else:
        reports = check_contracts(directory, policy=policy)
    compatible = all(r.result.compatible for r in reports)
    if fmt == "json":
        print(
            json.dumps(
                {
                    "compatible": compatible,
                    "policy": policy,
                    "types": {
                        r.event_type: {
                            **r.result.to_dict(),
                            "files": [str(f) for f in r.files],
                        }
                        for r in reports
                    },
                },
                indent=2,
            )
        )
        return 0 if compatible else 1
    for report in reports:
        for line in _lines(report.result):
            print(f"  {line}")
        versions = len(report.files)
        what = f"{versions} version{'s' if versions != 1 else ''}"
        if report.result.compatible:
            print(f"{report.event_type}: compatible ({report.mode}, {what})")
        else:
            count = len(report.result.breaking)
            print(
                f"{report.event_type}: INCOMPATIBLE ({report.mode}, {what}): {count} breaking "
                f"change{'s' if count != 1 else ''}"
            )
    if not reports:
        print(f"accord: warning: no event types under {directory}/schemas", file=sys.stderr)
    return 0 if compatible else 1
