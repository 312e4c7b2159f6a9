"""Which consumers a schema change breaks: a path diff of two JSON Schemas, intersected
with the fields each consumer's pact uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.errors import UsageError
from accord.pacts._model import PactDocument, used_paths

__all__ = ["FieldChange", "ImpactReport", "SchemaField", "analyse_impact", "schema_fields"]

_CONSTRAINTS = ("pattern", "format", "enum", "const", "minimum", "maximum", "minLength")


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field a JSON Schema declares, at a dotted path (``lines[*].item.price``)."""

    path: str
    types: tuple[str, ...]
    required: bool
    constraints: tuple[tuple[str, str], ...] = ()

    @property
    def signature(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        return self.types, self.constraints


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A difference between two schema versions at one path.

    ``kind`` is one of ``removed``, ``renamed`` (``detail`` names the new path), ``retyped``,
    ``constraint``, ``optional`` (was required), ``added-required``, ``added-optional``.
    ``used_by`` lists the consumers whose pacts use the path (or a field below it).
    """

    kind: str
    path: str
    detail: str
    used_by: tuple[str, ...] = ()

    @property
    def breaks_consumers(self) -> bool:
        """Whether a consumer that uses this path stops working."""
        return bool(self.used_by) and not self.kind.startswith("added")


@dataclass(slots=True)
class ImpactReport:
    """What :func:`analyse_impact` found."""

    event_type: str
    old_id: str
    new_id: str
    mode: str
    changes: list[FieldChange]
    consumers: list[str]
    schema_flags: list[str] = field(default_factory=list)

    @property
    def broken_consumers(self) -> list[str]:
        return sorted({c for ch in self.changes if ch.breaks_consumers for c in ch.used_by})

    @property
    def verdict(self) -> str:
        broken = self.broken_consumers
        if broken:
            note = (
                f" although schema compatibility rules ({self.mode}) accept it"
                if not self.schema_flags
                else ""
            )
            return f"BREAKS {', '.join(broken)}{note}"
        if self.schema_flags:
            return (
                f"safe for today's consumers: schema compatibility rules ({self.mode}) flag "
                "this change, but no consumer's pact uses a field it touches"
            )
        return "safe for today's consumers"

    def to_dict(self) -> dict[str, Any]:
        return {
            "eventType": self.event_type,
            "old": self.old_id,
            "new": self.new_id,
            "compatibilityMode": self.mode,
            "schemaRulesFlag": self.schema_flags,
            "consumers": self.consumers,
            "changes": [
                {
                    "kind": c.kind,
                    "path": c.path,
                    "detail": c.detail,
                    "usedBy": list(c.used_by),
                    "breaks": c.breaks_consumers,
                }
                for c in self.changes
            ],
            "brokenConsumers": self.broken_consumers,
            "verdict": self.verdict,
        }

    def format_text(self) -> str:
        lines = [
            f"{self.event_type}: {self.old_id} -> {self.new_id} "
            f"(consumers: {', '.join(self.consumers) or 'none'})"
        ]
        if not self.changes:
            lines.append("  no field changes")
        for c in self.changes:
            users = ", ".join(c.used_by) if c.used_by else "nobody"
            mark = "BREAKS" if c.breaks_consumers else "ok"
            lines.append(f"  {mark:<6} {c.kind:<15} {c.path:<32} {c.detail}; used by {users}")
        if self.schema_flags:
            lines.append(f"schema compatibility ({self.mode}): incompatible")
            lines += [f"  - {flag}" for flag in self.schema_flags]
        else:
            lines.append(f"schema compatibility ({self.mode}): compatible")
        lines.append(f"verdict: {self.verdict}")
        return "\n".join(lines)


def _resolve(node: Any, root: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise UsageError(f"{where}: only local $ref are supported for impact, got {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            if not isinstance(target, Mapping) or part not in target:
                raise UsageError(f"{where}: $ref {ref!r} does not resolve; fix the schema")
            target = target[part]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **extra} if extra else target
        seen += 1
        if seen > 50:
            raise UsageError(f"{where}: $ref cycle at {ref!r}")
    if not isinstance(node, Mapping):
        return {}
    return node


def _types(node: Mapping[str, Any]) -> tuple[str, ...]:
    declared = node.get("type")
    if isinstance(declared, str):
        return (declared,)
    if isinstance(declared, list):
        return tuple(sorted(str(t) for t in declared))
    if "properties" in node:
        return ("object",)
    if "items" in node:
        return ("array",)
    return ()


def schema_fields(schema: Mapping[str, Any], where: str = "schema") -> dict[str, SchemaField]:
    """Flatten a JSON Schema into its fields by dotted path (arrays as ``[*]``).

    Only local ``$ref`` are followed; ``allOf``/``oneOf`` are not expanded (the event schemas
    here do not use them).
    """
    out: dict[str, SchemaField] = {}

    def walk(node: Any, prefix: str, required: bool) -> None:
        node = _resolve(node, schema, where)
        if prefix:
            constraints = tuple((k, repr(node[k])) for k in _CONSTRAINTS if k in node)
            out[prefix] = SchemaField(prefix, _types(node), required, constraints)
        props = node.get("properties")
        if isinstance(props, Mapping):
            needed = set(node.get("required", []) or [])
            for name, child in props.items():
                walk(child, f"{prefix}.{name}" if prefix else str(name), name in needed)
        items = node.get("items")
        if isinstance(items, Mapping):
            item = _resolve(items, schema, where)
            if isinstance(item.get("properties"), Mapping):
                needed = set(item.get("required", []) or [])
                for name, child in item["properties"].items():
                    walk(child, f"{prefix}[*].{name}", name in needed)

    walk(schema, "", True)
    return out


def _diff(old: dict[str, SchemaField], new: dict[str, SchemaField]) -> list[FieldChange]:
    removed = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    changes: list[FieldChange] = []
    renamed_to: dict[str, str] = {}
    for path in removed:
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        for candidate in added:
            cparent = candidate.rsplit(".", 1)[0] if "." in candidate else ""
            if (
                cparent == parent
                and candidate not in renamed_to.values()
                and new[candidate].signature == old[path].signature
            ):
                renamed_to[path] = candidate
                break
    # A renamed container moves its children too: report the container once.
    moved_prefixes = {f"{p}." for p in renamed_to} | {f"{p}[*]" for p in renamed_to}
    for path in removed:
        if any(path.startswith(m) for m in moved_prefixes):
            continue
        if path in renamed_to:
            changes.append(FieldChange("renamed", path, f"renamed to {renamed_to[path]}"))
        else:
            changes.append(FieldChange("removed", path, "removed"))
    new_targets = set(renamed_to.values())
    new_moved = {f"{p}." for p in new_targets} | {f"{p}[*]" for p in new_targets}
    for path in added:
        if path in new_targets or any(path.startswith(m) for m in new_moved):
            continue
        kind = "added-required" if new[path].required else "added-optional"
        changes.append(FieldChange(kind, path, kind.replace("-", " ")))
    for path in old:
        if path not in new:
            continue
        before, after = old[path], new[path]
        if before.types != after.types:
            changes.append(
                FieldChange(
                    "retyped",
                    path,
                    f"type {'|'.join(before.types) or 'any'} -> {'|'.join(after.types) or 'any'}",
                )
            )
        elif before.constraints != after.constraints:
            changes.append(
                FieldChange(
                    "constraint",
                    path,
                    f"constraints {dict(before.constraints)} -> {dict(after.constraints)}",
                )
            )
        if before.required and not after.required:
            changes.append(FieldChange("optional", path, "no longer required (may be absent)"))
    return sorted(changes, key=lambda c: (c.path, c.kind))


def _rules_flag(changes: Sequence[FieldChange], mode: str) -> list[str]:
    """Classify changes the way schema-registry compatibility modes do (two versions only).

    BACKWARD: the new schema reads old data; FORWARD: old readers read new data; FULL: both.
    """
    backward = {"added-required", "retyped", "constraint"}
    forward = {"removed", "renamed", "retyped", "constraint", "optional", "added-optional"}
    base = mode.removesuffix("_TRANSITIVE")
    kinds: set[str] = set()
    if base in ("BACKWARD", "FULL"):
        kinds |= backward
    if base in ("FORWARD", "FULL"):
        kinds |= forward
    flagged = []
    for change in changes:
        if change.kind in kinds:
            flagged.append(f"{change.path}: {change.detail}")
    return flagged


def _event_type(schema: Mapping[str, Any], fallback: str) -> str:
    sid = str(schema.get("$id", ""))
    parts = sid.split(":")
    if sid.startswith("urn:accord:schemas:") and len(parts) >= 5:
        return parts[3]
    return fallback


def analyse_impact(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    pacts: Sequence[PactDocument],
    *,
    mode: str = "FULL_TRANSITIVE",
    event_type: str | None = None,
    where: tuple[str, str] = ("OLD", "NEW"),
) -> ImpactReport:
    """Compare two schema versions of one event type against the consumers' pacts.

    Args:
        old: The schema consumers were written against.
        new: The proposed schema.
        pacts: The consumer pacts (message interactions whose ``ce_type`` metadata names the
            event type are used; interactions without ``ce_type`` count too).
        mode: The schema compatibility mode of the type (``contracts/compatibility.toml``).
        event_type: Defaults to the type in the schemas' ``$id``.
        where: Names of the two inputs for error messages.
    """
    etype = event_type or _event_type(new, _event_type(old, "event"))
    changes = _diff(schema_fields(old, where[0]), schema_fields(new, where[1]))
    usage: dict[str, set[str]] = {}
    consumers: set[str] = set()
    for pact in pacts:
        for interaction in pact.interactions:
            if interaction.kind != "message":
                continue
            if interaction.event_type not in (None, etype):
                continue
            consumers.add(pact.consumer)
            for path in used_paths(interaction.body):
                usage.setdefault(path, set()).add(pact.consumer)
    enriched = []
    for change in changes:
        users: set[str] = set()
        for path, who in usage.items():
            if path == change.path or path.startswith((change.path + ".", change.path + "[")):
                users |= who
        enriched.append(FieldChange(change.kind, change.path, change.detail, tuple(sorted(users))))
    return ImpactReport(
        event_type=etype,
        old_id=str(old.get("$id", where[0])),
        new_id=str(new.get("$id", where[1])),
        mode=mode,
        changes=enriched,
        consumers=sorted(consumers),
        schema_flags=_schema_rules(old, new, mode, where, enriched),
    )


def _schema_rules(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    mode: str,
    where: tuple[str, str],
    changes: Sequence[FieldChange],
) -> list[str]:
    """What schema compatibility rules say: ``accord.schemas.compat`` (Confluent's rules)
    when it is installed, else the two-version approximation of :func:`_rules_flag`."""
    try:
        from accord.schemas.compat import check_compatibility
    except ImportError:  # pragma: no cover - the schemas package is part of accord
        return _rules_flag(changes, mode)
    result = check_compatibility([dict(old), dict(new)], mode, names=list(where))
    return [f"{c.path}: {c.message}" for c in result.breaking]
