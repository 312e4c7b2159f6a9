"""The ``accord`` command line.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function
that adds its parsers; a parser's ``handler`` default takes the parsed arguments and returns
the exit code. Heavy imports happen inside handlers so ``accord --help`` stays fast.

Exit codes: 0 success, 1 a check failed (violation, incompatibility), 2 unusable input,
130 interrupted. Messages on stderr start with ``accord: `` (errors ``accord: error: ``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from accord.errors import AccordError, UsageError

__all__ = ["main"]

_GROUPS = ("_init", "_broker", "_demo", "_schema", "_audit", "_contracts", "_atom")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2.

    Every line accord writes to stderr starts with ``accord: `` (``accord: error: ...``,
    ``accord: warning: ...``), whichever subcommand wrote it; the subcommand's help is named
    at the end of a usage error.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"accord: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        # The innermost subcommand returns first: remember it, so that an unknown option
        # is reported against 'accord audit', not 'accord'.
        if not hasattr(parsed, "_command_parser"):
            parsed._command_parser = self
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = _Parser(
        prog="accord",
        description="Prove that an event-driven system keeps its promises.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _GROUPS:
        importlib.import_module(f"accord.cli.{name}").register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"accord {version('accord')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "accord (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        command: argparse.ArgumentParser = getattr(args, "_command_parser", parser)
        command.error(f"unrecognized arguments: {' '.join(extras)}")
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except UsageError as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("accord: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`accord ... | head`): stop quietly, as Unix tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except AccordError as exc:
        print(f"accord: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
