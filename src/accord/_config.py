"""``[tool.accord]`` of a project's ``pyproject.toml``: where its contracts are, and modes.

::

    [tool.accord]
    contracts = "asyncapi.yaml"       # or a contracts directory (default: contracts)

    [tool.accord.compatibility]        # overrides the x-accord-* modes of an AsyncAPI document
    default = "BACKWARD"
    "order.accepted" = "FULL_TRANSITIVE"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from accord.errors import UsageError

__all__ = ["DEFAULT_CONTRACTS", "compatibility_overrides", "contracts_setting", "tool_config"]

DEFAULT_CONTRACTS = "contracts"


def tool_config(directory: str | Path | None = None) -> dict[str, Any]:
    """The ``[tool.accord]`` table of ``<directory>/pyproject.toml`` (cwd by default); empty
    when the file or the table is absent."""
    path = Path(directory or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read [tool.accord] ({exc})") from None
    table = data.get("tool", {}).get("accord", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.accord] must be a table")
    return table


def contracts_setting(directory: str | Path | None = None) -> Path:
    """``[tool.accord] contracts`` (relative to the pyproject's directory), else ``contracts``."""
    base = Path(directory or Path.cwd())
    value = tool_config(base).get("contracts", DEFAULT_CONTRACTS)
    if not isinstance(value, str) or not value:
        raise UsageError(f"{base / 'pyproject.toml'}: [tool.accord] contracts must be a path")
    return base / value


def compatibility_overrides(
    directory: str | Path | None = None,
) -> tuple[str | None, dict[str, str]]:
    """``(default, {event type: mode})`` of ``[tool.accord.compatibility]``."""
    table = tool_config(directory).get("compatibility", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError("[tool.accord.compatibility] must map event types (and default) to modes")
    default = table.get("default")
    return default, {k: v for k, v in table.items() if k != "default"}
