from __future__ import annotations

import argparse
import sys
from typing import Any

from accord.cli import _schema_compat, _schema_validate


def register(sub: argparse._SubParsersAction[Any]) -> None:
    schema = sub.add_parser("schema", help="validate events and check schema evolution")
    schema_sub = schema.add_subparsers(dest="schema_command", metavar="COMMAND")
    _schema_validate.register(schema_sub)
    _schema_compat.register(schema_sub)
    schema.set_defaults(handler=lambda args: (schema.print_help(sys.stderr), 2)[1])
