"""Compatibility modes over a list of schema versions, and the contracts-directory check."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import UsageError
from accord.schemas.compat._diff import compare
from accord.schemas.compat._kinds import NOT_COMPARED, compatible_kinds, describe
from accord.schemas.compat._model import Document

__all__ = [
    "MODES",
    "Change",
    "CompatResult",
    "TypeReport",
    "check_compatibility",
    "check_contracts",
    "load_schema_file",
]

#: Confluent Schema Registry's compatibility levels, except NONE
MODES: tuple[str, ...] = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a schema.

    Attributes:
        path: where, as Confluent reports it: a JSON pointer fragment through the schema
            (``#/properties/total/pattern``; combined schemas add ``allOf/0`` and the like).
        kind: Confluent's ``Difference.Type`` name, or ``NOT_COMPARED`` for a changed keyword
            that Confluent's rules never compare.
        breaking: True when the kind is not in Confluent's STRICT list of compatible changes.
        message: one sentence naming the versions involved.
        versions: the 1-based positions of the (older, newer) schemas that were compared.
        direction: ``"backward"`` (the newer schema reads data of the older) or ``"forward"``
            (the older schema reads data of the newer).
    """

    path: str
    kind: str
    breaking: bool
    message: str
    versions: tuple[int, int]
    direction: str = "backward"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``accord schema compat --format json``."""
        return {
            "path": self.path,
            "kind": self.kind,
            "breaking": self.breaking,
            "message": self.message,
            "versions": list(self.versions),
            "direction": self.direction,
        }


@dataclass(frozen=True)
class CompatResult:
    """The verdict of :func:`check_compatibility` and every change found on the way."""

    compatible: bool
    mode: str
    changes: list[Change] = field(default_factory=list)
    policy: str = "strict"

    @property
    def breaking(self) -> list[Change]:
        """The changes that make the schemas incompatible."""
        return [c for c in self.changes if c.breaking]

    @property
    def not_compared(self) -> list[Change]:
        """Changed keywords that Confluent's rules do not look at."""
        return [c for c in self.changes if c.kind == NOT_COMPARED]

    def to_dict(self) -> dict[str, Any]:
        return {
            "compatible": self.compatible,
            "mode": self.mode,
            "policy": self.policy,
            "changes": [c.to_dict() for c in self.changes],
        }


def _mode(mode: str) -> str:
    normalized = mode.strip().upper()
    if normalized not in MODES:
        raise UsageError(f"unknown compatibility mode {mode!r}; use one of {', '.join(MODES)}")
    return normalized


def check_compatibility(
    schemas: list[Any],
    mode: str = "BACKWARD",
    *,
    names: list[str] | None = None,
    policy: str = "strict",
) -> CompatResult:
    """Check the last schema against the earlier ones the way Confluent Schema Registry does.

    Args:
        schemas: JSON Schema documents (dicts or booleans), oldest first; the last is new.
        mode: BACKWARD (readers on the new schema read data written with the old one),
            FORWARD (the reverse), FULL (both), or their ``_TRANSITIVE`` forms, which compare
            the new schema with every earlier version instead of only the one before it.
        names: how to name each schema (file names): errors name it in full, messages by its
            stem (``v1`` for ``schemas/x/v1.json``). Default ``v1``, ``v2``, ... by position.
        policy: Confluent's ``compatibilityPolicy``: ``strict`` (the default,
            ``COMPATIBLE_CHANGES_STRICT``) or ``lenient`` (``COMPATIBLE_CHANGES_LENIENT``,
            which also accepts the content-model changes in ``LENIENT_ONLY``).

    Returns:
        The verdict and every change found, breaking or not. Unlike Confluent, which stops at
        the first incompatible earlier version, a transitive check reports all of them.

    Raises:
        UsageError: an unknown mode, or a schema that cannot be read (bad ``type``,
            unresolvable ``$ref``); the message names the schema.
    """
    mode = _mode(mode)
    accepted = compatible_kinds(policy)
    policy = policy.strip().lower()
    full = names or [f"v{i + 1}" for i in range(len(schemas))]
    documents = [Document(s, full[i]) for i, s in enumerate(schemas)]
    stems = [Path(n).stem for n in full]
    labels = stems if len(set(stems)) == len(stems) else full
    if len(documents) < 2:
        return CompatResult(True, mode, [], policy)
    new = len(documents) - 1
    olds = range(new - 1, -1, -1) if mode.endswith("_TRANSITIVE") else [new - 1]
    directions = {"BACKWARD": ("backward",), "FORWARD": ("forward",),
                  "FULL": ("backward", "forward")}[mode.removesuffix("_TRANSITIVE")]
    changes: list[Change] = []
    notes: set[tuple[str, str, tuple[int, int]]] = set()
    for old in olds:
        for direction in directions:
            for change in _pair(documents, labels, old, new, direction, accepted):
                if change.kind == NOT_COMPARED:  # FULL finds it in both directions: say it once
                    key = (change.path, change.message, change.versions)
                    if key in notes:
                        continue
                    notes.add(key)
                changes.append(change)
    return CompatResult(not any(c.breaking for c in changes), mode, changes, policy)


def _pair(
    documents: list[Document],
    labels: list[str],
    old: int,
    new: int,
    direction: str,
    accepted: frozenset[str],
) -> list[Change]:
    old_label, new_label = labels[old], labels[new]
    if direction == "backward":  # new.isBackwardCompatible(old): compare(old, new)
        original, update = documents[old], documents[new]
        orig, upd = old_label, new_label
        reader, writer = new_label, old_label
    else:  # old.isBackwardCompatible(new): compare(new, old)
        original, update = documents[new], documents[old]
        orig, upd = new_label, old_label
        reader, writer = old_label, new_label
    out = []
    for diff in compare(original.root, update.root, accepted):
        breaking = diff.kind not in accepted
        if diff.kind == NOT_COMPARED:
            # the forward diff ran new -> old: tell it from old to new all the same
            was, now = (diff.before, diff.after) if direction == "backward" else (
                diff.after, diff.before)
            message = (f"{diff.detail} changed from {was} in {old_label} to {now} in "
                       f"{new_label}; Confluent's rules do not compare this, so check this "
                       "change by hand")
        else:
            message = describe(diff.kind, orig, upd)
            if diff.detail:
                message = f"{message} ({diff.detail})"
            if breaking:
                message = f"{reader} cannot read data written with {writer}: {message}"
        out.append(Change(diff.path, diff.kind, breaking, message, (old + 1, new + 1), direction))
    return out


def load_schema_file(path: str | Path) -> Any:
    """Read one schema file; unusable input raises UsageError naming file, line and column."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{p}: no such file; pass the schema versions oldest first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{p}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{p}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}; fix the schema file"
        ) from None


@dataclass(frozen=True)
class TypeReport:
    """The check of one event type's versions in a contracts directory."""

    event_type: str
    mode: str
    files: list[Path]
    result: CompatResult


_VERSION_FILE = re.compile(r"^v(\d+)\.json$")


def check_contracts(directory: str | Path, *, policy: str = "strict") -> list[TypeReport]:
    """Check every event type's ``schemas/<type>/vN.json`` against its configured mode.

    The mode comes from ``compatibility.toml`` in the directory: ``[types]`` per event type,
    else ``default``, else BACKWARD (Confluent's default).
    """
    root = Path(directory)
    schemas_dir = root / "schemas"
    if not schemas_dir.is_dir():
        raise UsageError(f"{schemas_dir}: no schemas directory; pass --contracts DIR holding "
                         "schemas/<type>/vN.json")
    default, per_type = _modes(root / "compatibility.toml")
    reports = []
    for type_dir in sorted(p for p in schemas_dir.iterdir() if p.is_dir()):
        versions = sorted(
            (int(m.group(1)), f)
            for f in type_dir.iterdir()
            if (m := _VERSION_FILE.match(f.name))
        )
        if not versions:
            continue
        files = [f for _, f in versions]
        mode = per_type.get(type_dir.name, default)
        schemas = [load_schema_file(f) for f in files]
        result = check_compatibility(schemas, mode, names=[str(f) for f in files], policy=policy)
        reports.append(TypeReport(type_dir.name, result.mode, files, result))
    return reports


def _modes(path: Path) -> tuple[str, dict[str, str]]:
    if not path.exists():
        return "BACKWARD", {}
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not TOML: {exc}") from None
    default = config.get("default", "BACKWARD")
    types = config.get("types", {})
    if not isinstance(default, str) or not isinstance(types, dict):
        raise UsageError(f"{path}: expected `default = \"MODE\"` and a [types] table of modes")
    # exact names, as accord.schemas.SchemaRegistry reads the same file
    for name, mode in [("default", default), *types.items()]:
        if not isinstance(mode, str) or mode not in MODES:
            raise UsageError(
                f"{path}: {name}: unknown compatibility mode {mode!r}; use one of "
                f"{', '.join(MODES)}"
            )
    return default, {k: str(v) for k, v in types.items()}
