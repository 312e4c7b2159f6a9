"""Confluent's JSON Schema diff (``io.confluent.kafka.schemaregistry.json.diff``) in Python.

``compare(original, update)`` lists the differences met when going from ``original`` to
``update``; Confluent calls it with (old, new) for BACKWARD and (new, old) for FORWARD. Each
function below mirrors the Java class of the same name; comments mark where we differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.schemas.compat._kinds import COMPATIBLE, NOT_COMPARED
from accord.schemas.compat._model import Node, canonical, pattern_matches

__all__ = ["Difference", "compare"]


@dataclass(frozen=True)
class Difference:
    """One difference: its kind (``Difference.Type``), where, and a detail for NOT_COMPARED."""

    kind: str
    path: str
    detail: str = ""
    before: str = ""
    after: str = ""


class Context:
    """Context.java: the path, the schemas being compared (recursion guard), the diffs."""

    def __init__(self, compatible: frozenset[str] = COMPATIBLE) -> None:
        self.compatible = compatible
        self.schemas: set[int] = set()
        self.path: list[str] = []
        self.diffs: list[Difference] = []

    def sub(self) -> Context:
        ctx = Context(self.compatible)
        ctx.schemas = set(self.schemas)
        ctx.path = list(self.path)
        return ctx

    @contextmanager
    def enter_path(self, *segments: str) -> Iterator[None]:
        self.path.extend(segments)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(segments):]

    def is_compatible(self) -> bool:
        return all(d.kind in self.compatible for d in self.diffs)

    def add(
        self,
        kind: str,
        attribute: str | None = None,
        detail: str = "",
        before: str = "",
        after: str = "",
    ) -> None:
        segments = [*self.path, attribute] if attribute is not None else self.path
        self.diffs.append(Difference(kind, _pointer(segments), detail, before, after))

    def extend(self, diffs: list[Difference]) -> None:
        self.diffs.extend(diffs)


def _pointer(segments: list[str]) -> str:
    out = []
    for segment in segments:
        # combined paths carry "allOf/0", tuple items "items/0": keep their inner slash
        out.append(segment.replace("~", "~0"))
    return "#/" + "/".join(out) if out else "#"


def _esc(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def compare(
    original: Node, update: Node, compatible: frozenset[str] = COMPATIBLE
) -> list[Difference]:
    """SchemaDiff.compare(compatibleChanges, original, update): every difference, compatible
    or not. ``compatible`` (the policy) also decides the nested choices: which subschemas pair
    up, and whether a partially open content model covers a property."""
    ctx = Context(compatible)
    _compare(ctx, original, update)
    return ctx.diffs


def _compare(ctx: Context, original: Node | None, update: Node | None) -> None:
    if original is None and update is None:
        return
    if original is None:
        ctx.add("SCHEMA_ADDED")
        return
    if update is None:
        ctx.add("SCHEMA_REMOVED")
        return
    # Confluent dereferences one level (normalizeSchema); we follow chains of $ref to the end
    original = original.resolved()
    update = update.resolved()

    if original.kind != "combined" and update.kind == "combined":
        subs = update.subschemas
        if len(subs) == 1:
            sub = ctx.sub()
            _compare(sub, original, subs[0])
            if sub.is_compatible():
                ctx.extend(sub.diffs)
                return
        elif update.criterion in ("anyOf", "oneOf"):
            for candidate in subs:
                sub = ctx.sub()
                _compare(sub, original, candidate)
                if sub.is_compatible():
                    ctx.extend(sub.diffs)
                    ctx.add("SUM_TYPE_EXTENDED")
                    return
    elif original.kind == "combined" and update.kind != "combined":
        subs = original.subschemas
        if len(subs) == 1:
            sub = ctx.sub()
            _compare(sub, subs[0], update)
            if sub.is_compatible():
                ctx.extend(sub.diffs)
                return
        if original.criterion == "allOf":
            for candidate in subs:
                sub = ctx.sub()
                _compare(sub, candidate, update)
                if sub.is_compatible():
                    ctx.extend(sub.diffs)
                    ctx.add("PRODUCT_TYPE_NARROWED")
                    return

    if original.kind != update.kind:
        # everit: TrueSchema extends EmptySchema; a false original or an empty update is fine
        if original.kind != "false" and not update.is_empty:
            ctx.add("TYPE_CHANGED", detail=f"{_shape(original)} -> {_shape(update)}")
        return

    if id(original) in ctx.schemas:  # Context.enterSchema: already comparing this schema
        return
    ctx.schemas.add(id(original))
    try:
        if original.id != update.id:
            ctx.add("ID_CHANGED")
        if original.title != update.title:
            ctx.add("TITLE_CHANGED")
        if original.description != update.description:
            ctx.add("DESCRIPTION_CHANGED")
        if _default(original) != _default(update):
            ctx.add("DEFAULT_CHANGED")
        _not_compared(ctx, original, update)
        kind = original.kind
        if kind in ("string", "number", "object", "array") and (
            original.requires_type != update.requires_type
        ):
            # everit's requiresString/... flags are never compared: {"minLength": 1} (any
            # non-string passes) and {"type": "string", "minLength": 1} are equal to Confluent
            word = "integer" if kind == "number" and update.requires_integer else kind
            ctx.add(NOT_COMPARED, "type", f"'type: {word}'",
                    "required" if original.requires_type else "(absent)",
                    "required" if update.requires_type else "(absent)")
        if kind == "string":
            _string(ctx, original, update)
        elif kind == "number":
            _number(ctx, original, update)
        elif kind == "const":
            if canonical(original.value) != canonical(update.value):
                ctx.add("ENUM_ARRAY_CHANGED", "const",
                        f"{_show(original.value)} -> {_show(update.value)}")
        elif kind == "enum":
            _enum(ctx, original, update)
        elif kind == "combined":
            _combined(ctx, original, update)
        elif kind == "not":
            _not(ctx, original, update)
        elif kind == "object":
            _object(ctx, original, update)
        elif kind == "array":
            _array(ctx, original, update)
    finally:
        ctx.schemas.discard(id(original))


def _default(node: Node) -> str | None:
    return canonical(node.default) if node.has_default else None


def _not_compared(ctx: Context, original: Node, update: Node) -> None:
    """accord's addition: say which changed keywords Confluent's diff never looks at."""
    for keyword in sorted(set(original.ignored) | set(update.ignored)):
        before = original.ignored.get(keyword, _ABSENT)
        after = update.ignored.get(keyword, _ABSENT)
        if before is _ABSENT or after is _ABSENT or canonical(before) != canonical(after):
            ctx.add(NOT_COMPARED, keyword, f"'{keyword}'", _show(before), _show(after))


_ABSENT: Any = object()


def _bound(
    ctx: Context, attribute: str, prefix: str, before: Any, after: Any
) -> None:
    """The added/removed/increased/decreased pattern shared by every numeric keyword."""
    if before == after:
        return
    detail = f"{_show(before)} -> {_show(after)}"
    if before is None:
        ctx.add(f"{prefix}_ADDED", attribute, detail)
    elif after is None:
        ctx.add(f"{prefix}_REMOVED", attribute, detail)
    elif before < after:
        ctx.add(f"{prefix}_INCREASED", attribute, detail)
    elif before > after:
        ctx.add(f"{prefix}_DECREASED", attribute, detail)


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = "none" if value is None else canonical(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _string(ctx: Context, original: Node, update: Node) -> None:
    """StringSchemaDiff."""
    _bound(ctx, "maxLength", "MAX_LENGTH", original.max_length, update.max_length)
    _bound(ctx, "minLength", "MIN_LENGTH", original.min_length, update.min_length)
    detail = f"{_show(original.pattern)} -> {_show(update.pattern)}"
    if original.pattern is None and update.pattern is not None:
        ctx.add("PATTERN_ADDED", "pattern", detail)
    elif original.pattern is not None and update.pattern is None:
        ctx.add("PATTERN_REMOVED", "pattern", detail)
    elif original.pattern != update.pattern:
        ctx.add("PATTERN_CHANGED", "pattern", detail)


def _number(ctx: Context, original: Node, update: Node) -> None:
    """NumberSchemaDiff."""
    _bound(ctx, "maximum", "MAXIMUM", original.maximum, update.maximum)
    _bound(ctx, "minimum", "MINIMUM", original.minimum, update.minimum)
    # Confluent compares a decreased exclusiveMaximum with the update's *maximum* (a slip that
    # throws when the update has none); we compare it with the update's exclusiveMaximum.
    _bound(ctx, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM", original.exclusive_maximum,
           update.exclusive_maximum)
    _bound(ctx, "exclusiveMinimum", "EXCLUSIVE_MINIMUM", original.exclusive_minimum,
           update.exclusive_minimum)
    before, after = _decimal(original.multiple_of), _decimal(update.multiple_of)
    if before != after:
        detail = f"{_show(original.multiple_of)} -> {_show(update.multiple_of)}"
        if before is None:
            ctx.add("MULTIPLE_OF_ADDED", "multipleOf", detail)
        elif after is None:
            ctx.add("MULTIPLE_OF_REMOVED", "multipleOf", detail)
        # Confluent tests divisibility on intValue() (0.01 becomes 0 and fails); we use exact
        # decimals, which give the same answer for integers
        elif after % before == 0:
            ctx.add("MULTIPLE_OF_EXPANDED", "multipleOf", detail)
        elif before % after == 0:
            ctx.add("MULTIPLE_OF_REDUCED", "multipleOf", detail)
        else:
            ctx.add("MULTIPLE_OF_CHANGED", "multipleOf", detail)
    if original.requires_integer != update.requires_integer:
        ctx.add("TYPE_EXTENDED" if original.requires_integer else "TYPE_NARROWED")


def _decimal(value: float | int | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - JSON numbers always parse
        return None


def _enum(ctx: Context, original: Node, update: Node) -> None:
    """EnumSchemaDiff (the values compared as sets)."""
    before = {canonical(v) for v in original.values}
    after = {canonical(v) for v in update.values}
    if before != after:
        parts = []
        if before - after:
            parts.append("without " + ", ".join(sorted(before - after)))
        if after - before:
            parts.append("with " + ", ".join(sorted(after - before)))
        detail = "; ".join(parts)
        if after >= before:
            ctx.add("ENUM_ARRAY_EXTENDED", "enum", detail)
        elif before >= after:
            ctx.add("ENUM_ARRAY_NARROWED", "enum", detail)
        else:
            ctx.add("ENUM_ARRAY_CHANGED", "enum", detail)


def _not(ctx: Context, original: Node, update: Node) -> None:
    """NotSchemaDiff: the wrapped schemas are compared in reverse."""
    with ctx.enter_path("not"):
        sub = ctx.sub()
        _compare(sub, update.must_not, original.must_not)
        ctx.add("NOT_TYPE_NARROWED" if sub.is_compatible() else "NOT_TYPE_EXTENDED")


def _combined(ctx: Context, original: Node, update: Node) -> None:
    """CombinedSchemaDiff: criteria, then a maximum matching of compatible subschema pairs."""
    kind = _criteria(ctx, original, update)
    if kind == "COMBINED_TYPE_CHANGED":
        return
    originals = _unique(original.subschemas)
    updates = _unique(update.subschemas)
    if len(originals) < len(updates):
        ctx.add("PRODUCT_TYPE_EXTENDED" if update.criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(originals) > len(updates):
        ctx.add("SUM_TYPE_NARROWED" if original.criterion in ("anyOf", "oneOf")
                else "PRODUCT_TYPE_NARROWED")
    edges: dict[tuple[int, int], list[Difference]] = {}
    for i, before in enumerate(originals):
        with ctx.enter_path(f"{original.criterion}/{i}"):
            for j, after in enumerate(updates):
                sub = ctx.sub()
                _compare(sub, before, after)
                if sub.is_compatible():
                    edges[(i, j)] = sub.diffs
    matching = _maximum_matching(len(originals), len(updates), edges)
    for pair in sorted(matching):
        ctx.extend(edges[pair])
    if len(matching) < min(len(originals), len(updates)):
        ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                detail=_unmatched(ctx, original, originals, updates, matching))


def _shape(node: Node) -> str:
    if node.kind == "number":
        return "integer" if node.requires_integer else "number"
    if node.kind == "combined":
        inner = ", ".join(_shape(s.resolved()) for s in node.subschemas)
        return f"{'allOf' if node.synthetic else node.criterion}[{inner}]"
    return node.kind


def _unmatched(
    ctx: Context,
    original: Node,
    originals: list[Node],
    updates: list[Node],
    matching: set[tuple[int, int]],
) -> str:
    """Why the pairing failed: for each unpaired subschema, its closest candidate's breaks.

    Confluent reports only COMBINED_TYPE_SUBSCHEMAS_CHANGED; the detail is accord's.
    """
    paired_left = {i for i, _ in matching}
    paired_right = {j for _, j in matching}
    reasons = []
    for i, before in enumerate(originals):
        if i in paired_left:
            continue
        best: list[Difference] | None = None
        for j, after in enumerate(updates):
            if j in paired_right and len(updates) > len(paired_right):
                continue
            sub = ctx.sub()
            with sub.enter_path(f"{original.criterion}/{i}"):
                _compare(sub, before, after)
            breaks = [d for d in sub.diffs if d.kind not in ctx.compatible]
            if breaks and (best is None or len(breaks) < len(best)):
                best = breaks
        label = f"{original.criterion}/{i} ({_shape(before.resolved())})"
        if best:
            shown = ", ".join(f"{d.kind} at {d.path}" for d in best[:3])
            reasons.append(f"{label}: closest match fails with {shown}")
        else:
            reasons.append(f"{label}: no counterpart")
    return "; ".join(reasons)


def _criteria(ctx: Context, original: Node, update: Node) -> str | None:
    before, after = original.criterion, update.criterion
    kind: str | None
    single_before = len(original.subschemas) == 1
    single_after = len(update.subschemas) == 1
    if before == after:
        kind = None
    elif (after == "anyOf" or (single_before and single_after)
          or (single_before and after == "oneOf") or (single_after and before == "allOf")):
        kind = "COMBINED_TYPE_EXTENDED"
    else:
        kind = "COMBINED_TYPE_CHANGED"
    if kind is not None:
        ctx.add(kind)
    return kind


def _unique(nodes: list[Node]) -> list[Node]:
    """Collapse duplicate subschemas, as Confluent's LinkedHashSet of JsonSchema does."""
    seen: set[str] = set()
    out = []
    for node in nodes:
        key = node.key()
        if key not in seen:
            seen.add(key)
            out.append(node)
    return out


def _maximum_matching(
    left: int, right: int, edges: dict[tuple[int, int], list[Difference]]
) -> set[tuple[int, int]]:
    """Maximum cardinality bipartite matching (augmenting paths; the sets are small)."""
    match_right: dict[int, int] = {}
    adjacency = {i: [j for j in range(right) if (i, j) in edges] for i in range(left)}

    def augment(i: int, visited: set[int]) -> bool:
        for j in adjacency[i]:
            if j in visited:
                continue
            visited.add(j)
            if j not in match_right or augment(match_right[j], visited):
                match_right[j] = i
                return True
        return False

    for i in range(left):
        augment(i, set())
    return {(i, j) for j, i in match_right.items()}


def _is_open_object(node: Node) -> bool:
    # 8.x: open = no patternProperties, additionalProperties absent/true, and
    # unevaluatedProperties absent/true (the last part inferred from ArraySchemaDiff)
    if node.pattern_properties or node.additional_schema is not None:
        return False
    if not node.permits_additional:
        return False
    return node.unevaluated is None or node.unevaluated.is_empty


def _partial_object(node: Node, name: str) -> Node | None:
    for pattern, schema in node.pattern_properties.items():
        if pattern_matches(pattern, name):
            return schema
    if node.additional_schema is not None:
        return node.additional_schema
    u = node.unevaluated
    if node.permits_additional and u is not None and u.kind != "false" and not u.is_empty:
        return u
    return None


def _object(ctx: Context, original: Node, update: Node) -> None:
    """ObjectSchemaDiff."""
    with ctx.enter_path("required"):
        # Confluent only looks at required names that have a schema under properties; a
        # required name without one is never compared, so say so (accord's addition)
        before_bare = sorted(set(original.required) - set(original.properties))
        after_bare = sorted(set(update.required) - set(update.properties))
        if before_bare != after_bare:
            ctx.add(NOT_COMPARED, None, "'required' names without a schema under 'properties'",
                    _show(before_bare), _show(after_bare))
        for name in original.properties:
            if name in update.properties:
                before = name in original.required
                after = name in update.required
                if before and not after:
                    ctx.add("REQUIRED_ATTRIBUTE_REMOVED", _esc(name))
                elif after and not before:
                    ctx.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
                            if update.properties[name].has_default
                            else "REQUIRED_ATTRIBUTE_ADDED", _esc(name))
    with ctx.enter_path("properties"):
        names = list(original.properties) + [
            n for n in update.properties if n not in original.properties
        ]
        for name in names:
            with ctx.enter_path(_esc(name)):
                _property(ctx, original, update, name)
    with ctx.enter_path("dependencies"):
        for name in _union(original.property_dependencies, update.property_dependencies):
            before_deps = original.property_dependencies.get(name)
            after_deps = update.property_dependencies.get(name)
            if after_deps is None:
                ctx.add("DEPENDENCY_ARRAY_REMOVED", _esc(name))
            elif before_deps is None:
                ctx.add("DEPENDENCY_ARRAY_ADDED", _esc(name))
            elif before_deps != after_deps:
                if after_deps >= before_deps:
                    ctx.add("DEPENDENCY_ARRAY_EXTENDED", _esc(name))
                elif before_deps >= after_deps:
                    ctx.add("DEPENDENCY_ARRAY_NARROWED", _esc(name))
                else:
                    ctx.add("DEPENDENCY_ARRAY_CHANGED", _esc(name))
        for name in _union(original.schema_dependencies, update.schema_dependencies):
            with ctx.enter_path(_esc(name)):
                before_schema = original.schema_dependencies.get(name)
                after_schema = update.schema_dependencies.get(name)
                if after_schema is None:
                    ctx.add("DEPENDENCY_SCHEMA_REMOVED")
                elif before_schema is None:
                    ctx.add("DEPENDENCY_SCHEMA_ADDED")
                else:
                    _compare(ctx, before_schema, after_schema)
    with ctx.enter_path("additionalProperties"):
        if original.permits_additional != update.permits_additional:
            ctx.add("ADDITIONAL_PROPERTIES_ADDED" if update.permits_additional
                    else "ADDITIONAL_PROPERTIES_REMOVED")
        elif original.additional_schema is None and update.additional_schema is not None:
            ctx.add("ADDITIONAL_PROPERTIES_NARROWED")
        elif update.additional_schema is None and original.additional_schema is not None:
            ctx.add("ADDITIONAL_PROPERTIES_EXTENDED")
        elif original.additional_schema is not None:
            _compare(ctx, original.additional_schema, update.additional_schema)
    _unevaluated(ctx, "unevaluatedProperties", "UNEVALUATED_PROPERTIES",
                 original.unevaluated, update.unevaluated)
    _bound(ctx, "maxProperties", "MAX_PROPERTIES", original.max_properties,
           update.max_properties)
    _bound(ctx, "minProperties", "MIN_PROPERTIES", original.min_properties,
           update.min_properties)


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return list(a) + [k for k in b if k not in a]


def _property(ctx: Context, original: Node, update: Node, name: str) -> None:
    before = original.properties.get(name)
    after = update.properties.get(name)
    if after is None:
        assert before is not None
        # only the update's content model decides whether a property may be dropped
        if _is_open_object(update):
            ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
            return
        partial = _partial_object(update, name)
        if partial is not None:
            sub = ctx.sub()
            _compare(sub, before, partial)
            ctx.extend(sub.diffs)
            ctx.add("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    if sub.is_compatible()
                    else "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
        elif before.kind == "false":
            ctx.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        else:
            ctx.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    elif before is None:
        # only the original's content model decides whether a property may be added
        # everit's instanceof/hasDefaultValue look at the property's schema as written: a
        # $ref is a ReferenceSchema there, neither empty nor carrying the target's default
        required = name in update.required
        if _is_open_object(original):
            if after.is_empty:
                ctx.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
            elif required and after.has_default:
                ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL")
            elif required:
                ctx.add("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
            else:
                ctx.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
            return
        partial = _partial_object(original, name)
        if partial is not None:
            sub = ctx.sub()
            _compare(sub, partial, after)
            ctx.extend(sub.diffs)
            ctx.add("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    if sub.is_compatible()
                    else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
        if required:
            ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
                    if after.has_default else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
        else:
            ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        _compare(ctx, before, after)


def _unevaluated(
    ctx: Context, attribute: str, prefix: str, before: Node | None, after: Node | None
) -> None:
    """ArraySchemaDiff.compareUnevaluatedItems (and, by analogy, unevaluatedProperties)."""
    if before is None and after is None:
        return
    with ctx.enter_path(attribute):
        if before is None:
            assert after is not None
            ctx.add(f"{prefix}_REMOVED" if after.kind == "false" else f"{prefix}_NARROWED")
        elif after is None:
            ctx.add(f"{prefix}_ADDED" if before.kind == "false" else f"{prefix}_EXTENDED")
        elif before.kind == "false" and after.kind != "false":
            ctx.add(f"{prefix}_ADDED")
        elif before.kind != "false" and after.kind == "false":
            ctx.add(f"{prefix}_REMOVED")
        elif before.is_empty and not after.is_empty:
            ctx.add(f"{prefix}_NARROWED")
        elif not before.is_empty and after.is_empty:
            ctx.add(f"{prefix}_EXTENDED")
        else:
            _compare(ctx, before, after)


def _is_open_array(node: Node) -> bool:
    if not node.permits_additional_items or node.additional_items_schema is not None:
        return False
    return node.unevaluated_items is None or node.unevaluated_items.is_empty


def _partial_array(node: Node) -> Node | None:
    if node.additional_items_schema is not None:
        return node.additional_items_schema
    if node.permits_additional_items and node.unevaluated_items is not None:
        u = node.unevaluated_items
        if u.kind != "false" and not u.is_empty:
            return u
    return None


def _array(ctx: Context, original: Node, update: Node) -> None:
    """ArraySchemaDiff."""
    with ctx.enter_path("items"):
        _compare(ctx, original.all_items, update.all_items)
    before_items = original.item_schemas or []
    after_items = update.item_schemas or []
    for index in range(max(len(before_items), len(after_items))):
        with ctx.enter_path(f"items/{index}"):
            if index < len(before_items) and index < len(after_items):
                _compare(ctx, before_items[index], after_items[index])
            elif index < len(before_items):
                _item_removed(ctx, before_items[index], update)
            else:
                _item_added(ctx, after_items[index], original)
    with ctx.enter_path("additionalItems"):
        if original.permits_additional_items != update.permits_additional_items:
            ctx.add("ADDITIONAL_ITEMS_REMOVED" if original.permits_additional_items
                    else "ADDITIONAL_ITEMS_ADDED")
        elif original.additional_items_schema is None and update.additional_items_schema:
            ctx.add("ADDITIONAL_ITEMS_NARROWED")
        elif update.additional_items_schema is None and original.additional_items_schema:
            ctx.add("ADDITIONAL_ITEMS_EXTENDED")
        elif original.additional_items_schema is not None:
            _compare(ctx, original.additional_items_schema, update.additional_items_schema)
    _unevaluated(ctx, "unevaluatedItems", "UNEVALUATED_ITEMS", original.unevaluated_items,
                 update.unevaluated_items)
    _bound(ctx, "maxItems", "MAX_ITEMS", original.max_items, update.max_items)
    _bound(ctx, "minItems", "MIN_ITEMS", original.min_items, update.min_items)
    if original.unique_items != update.unique_items:
        ctx.add("UNIQUE_ITEMS_REMOVED" if original.unique_items else "UNIQUE_ITEMS_ADDED",
                "uniqueItems")
    _bound(ctx, "maxContains", "MAX_CONTAINS", original.max_contains, update.max_contains)
    _bound(ctx, "minContains", "MIN_CONTAINS", original.min_contains, update.min_contains)


def _item_removed(ctx: Context, before: Node, update: Node) -> None:
    if _is_open_array(update):
        ctx.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial_array(update)
    if partial is not None:
        sub = ctx.sub()
        _compare(sub, before, partial)
        ctx.extend(sub.diffs)
        ctx.add("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if sub.is_compatible()
                else "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif before.kind == "false":
        ctx.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _item_added(ctx: Context, after: Node, original: Node) -> None:
    if _is_open_array(original):
        ctx.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if after.is_empty
                else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    partial = _partial_array(original)
    if partial is not None:
        sub = ctx.sub()
        _compare(sub, partial, after)
        ctx.extend(sub.diffs)
        ctx.add("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" if sub.is_compatible()
                else "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    else:
        ctx.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
