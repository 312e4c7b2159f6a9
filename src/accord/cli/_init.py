"""``accord init``: start a project's contracts, and point ``[tool.accord]`` at them.

The starter is the event contracts of accord's reference system (``order.accepted`` v1 and
v2, ``invoice.created``, ``delivery.created``), so the README's pytest snippet, which runs that
system, works in the new directory at once; a team replaces them with its own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from accord.errors import UsageError

_STARTER = "accord.schemas"


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "init",
        help="write starter contracts and a [tool.accord] block",
        description="Write a starter contracts/ directory (JSON Schemas per event type and "
        "version, compatibility.toml, asyncapi.yaml) or, with --asyncapi, an asyncapi.yaml "
        "with the schemas/ it refers to; then add [tool.accord] contracts = ... to "
        "pyproject.toml (created if missing). Existing files are never overwritten: exit 2 "
        "and nothing written.",
    )
    parser.add_argument(
        "directory", nargs="?", default=".", help="the project directory (default: .)"
    )
    parser.add_argument(
        "--asyncapi",
        action="store_true",
        help="make an AsyncAPI 3 document the contract source instead of a contracts/ dir",
    )
    parser.set_defaults(handler=_init)


def _starter() -> Path:
    root = resources.files(_STARTER) / "_starter"
    path = Path(str(root))
    if not (path / "schemas").is_dir():  # pragma: no cover - a broken installation
        raise UsageError(f"{path}: accord's starter contracts are missing; reinstall accord")
    return path


def _plan(project: Path, asyncapi: bool) -> tuple[dict[Path, Path], str]:
    """``({target: source}, contracts setting)``; raises before anything is written."""
    starter = _starter()
    if asyncapi:
        base, setting = project, "asyncapi.yaml"
        names = ["asyncapi.yaml", "schemas"]
    else:
        base, setting = project / "contracts", "contracts"
        names = ["schemas", "compatibility.toml", "asyncapi.yaml"]
        if base.exists():
            raise UsageError(
                f"{base}: already exists; accord init never overwrites (move it "
                "away or point [tool.accord] contracts at it)"
            )
    plan = {base / name: starter / name for name in names}
    for target in plan:
        if target.exists():
            raise UsageError(f"{target}: already exists; accord init never overwrites")
    return plan, setting


def _pyproject(project: Path, setting: str) -> tuple[Path, str, bool]:
    """``(path, new text, created)``: pyproject.toml with ``[tool.accord] contracts`` added."""
    path = project / "pyproject.toml"
    block = (
        "[tool.accord]\n"
        f'contracts = "{setting}"    # a contracts directory or an AsyncAPI 3 document\n'
    )
    if not path.exists():
        return path, block, True
    try:
        text = path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc}); fix it first") from None
    table = config.get("tool", {}).get("accord", {})
    if isinstance(table, dict) and "contracts" in table:
        raise UsageError(
            f"{path}: [tool.accord] already sets contracts = "
            f"{table['contracts']!r}; accord init never overwrites"
        )
    new = text + ("" if text.endswith("\n") or not text else "\n") + "\n" + block
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        raise UsageError(
            f'{path}: already has a [tool.accord] table; add contracts = "{setting}" to it '
            "by hand (accord init does not rewrite your tables)"
        ) from None
    return path, new, False


def _init(args: argparse.Namespace) -> int:
    project = Path(args.directory)
    if not project.is_dir():
        raise UsageError(f"{project}: no such directory")
    plan, setting = _plan(project, args.asyncapi)
    pyproject, text, created = _pyproject(project, setting)
    written: list[Path] = []
    try:
        for target, source in plan.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copyfile(source, target)
            written.append(target)
        pyproject.write_text(text, encoding="utf-8")
    except OSError as exc:
        for target in written:  # nothing half-written
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        raise UsageError(f"{project}: cannot write the starter ({exc})") from None
    for target in written:
        print(f"wrote {target}{'/' if target.is_dir() else ''}")
    print(f'{"wrote" if created else "updated"} {pyproject}: [tool.accord] contracts = "{setting}"')
    check = setting if args.asyncapi else "contracts"
    print(f"next: accord schema compat --contracts {check}", file=sys.stderr)
    return 0
