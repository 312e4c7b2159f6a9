"""JSON Schema documents turned into the schema model Confluent's diff works on.

Confluent Schema Registry loads a 2019-09/2020-12 schema with json-sKema and translates it into
everit's schema classes (``SchemaTranslator``); the diff then compares those classes, not the
JSON. The translation decides what the diff sees, so it is reproduced here:

* every keyword becomes a fragment of one class (``type: object``, ``properties``, ``required``
  each give an object fragment; ``minLength`` a string fragment; ``enum`` an enum; ``allOf`` a
  combined schema ...);
* fragments of one schema object are joined: fragments of the same class (string, number,
  object, array) merge into one; fragments of different classes become a *synthetic* ``allOf``.
  ``{"type": "string", "enum": [...]}`` is therefore ``allOf[string, enum]``;
* a multi-type ``type: [..]`` is an ``anyOf`` of one schema per type;
* a schema object with no validating keyword is the empty schema; ``true``/``false`` stay
  the true/false schemas; ``format`` is dropped.

Keywords that reach the model but that Confluent's diff never compares (``format``,
``patternProperties`` schemas, ``propertyNames``, ``contains``, ``if``/``then``/``else``, ...)
are kept in :attr:`Node.ignored` so the checker can say that it did not compare them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from accord.errors import UsageError

__all__ = ["Document", "Node", "SchemaLoadError", "canonical"]

_NO_DEFAULT: Any = object()

#: keywords Confluent's translation keeps but its diff never compares (reported as NOT_COMPARED)
IGNORED_KEYWORDS = (
    "format",
    "patternProperties",
    "propertyNames",
    "contains",
    "if",
    "then",
    "else",
    "$dynamicRef",
    "$recursiveRef",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
)

_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")

_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
#: the keywords everit's loader gives to the schema of each type (draft-07 and older)
_TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "string": ("minLength", "maxLength", "pattern", "format"),
    "integer": _NUMBER_KEYWORDS,
    "number": _NUMBER_KEYWORDS,
    "object": ("properties", "patternProperties", "additionalProperties", "required",
               "minProperties", "maxProperties", "dependencies", "propertyNames"),
    "array": ("items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"),
}


class SchemaLoadError(UsageError):
    """A schema the checker cannot read (bad ``type``, unresolvable ``$ref``, not a schema)."""


def canonical(value: Any) -> str:
    """A JSON value as a canonical string (sorted keys), for set and equality tests."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(eq=False)
class Node:
    """One schema in everit's terms; ``kind`` plays the role of the Java class.

    kinds: string, number, boolean, null, object, array, enum, const, combined, not, ref,
    empty, true, false, conditional.
    """

    kind: str
    where: str = "#"
    id: str | None = None
    title: str | None = None
    description: str | None = None
    default: Any = _NO_DEFAULT
    ignored: dict[str, Any] = field(default_factory=dict)
    #: made by a ``type`` keyword (everit's requiresString/Number/Object/Array), as opposed to
    #: a fragment of type-specific keywords that accepts other types too
    requires_type: bool = False
    # string
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    # number
    minimum: float | int | None = None
    maximum: float | int | None = None
    exclusive_minimum: float | int | None = None
    exclusive_maximum: float | int | None = None
    multiple_of: float | int | None = None
    requires_integer: bool = False
    # object
    properties: dict[str, Node] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    permits_additional: bool = True
    additional_schema: Node | None = None
    pattern_properties: dict[str, Node] = field(default_factory=dict)
    min_properties: int | None = None
    max_properties: int | None = None
    property_dependencies: dict[str, set[str]] = field(default_factory=dict)
    schema_dependencies: dict[str, Node] = field(default_factory=dict)
    unevaluated: Node | None = None
    # array
    all_items: Node | None = None
    item_schemas: list[Node] | None = None
    permits_additional_items: bool = True
    additional_items_schema: Node | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_contains: int | None = None
    max_contains: int | None = None
    unevaluated_items: Node | None = None
    # enum / const
    values: list[Any] = field(default_factory=list)
    value: Any = None
    # combined
    criterion: str = "allOf"
    subschemas: list[Node] = field(default_factory=list)
    synthetic: bool = False
    # not
    must_not: Node | None = None
    # ref
    ref: str = ""
    document: Document | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def is_empty(self) -> bool:
        """everit's ``instanceof EmptySchema`` (TrueSchema extends EmptySchema)."""
        return self.kind in ("empty", "true")

    def resolved(self) -> Node:
        """Follow ``$ref`` to the schema it names (Confluent's ``normalizeSchema``)."""
        node = self
        seen = 0
        while node.kind == "ref":
            assert node.document is not None
            node = node.document.resolve(node.ref, node.where)
            seen += 1
            if seen > 64:
                raise SchemaLoadError(f"{self.where}: $ref {self.ref!r} loops without a schema")
        return node

    def key(self) -> str:
        """A structural identity, used to collapse duplicate subschemas as Confluent does."""
        return canonical(_key(self, 0))


def _key(node: Node | None, depth: int) -> Any:
    if node is None:
        return None
    if depth > 12:
        return node.kind
    out: dict[str, Any] = {"k": node.kind}
    for name in (
        "id", "title", "description", "min_length", "max_length", "pattern", "minimum",
        "maximum", "exclusive_minimum", "exclusive_maximum", "multiple_of", "requires_integer",
        "required", "permits_additional", "min_properties", "max_properties", "min_items",
        "max_items", "unique_items", "permits_additional_items", "criterion", "ref", "synthetic",
        "min_contains", "max_contains", "requires_type",
    ):
        out[name] = getattr(node, name)
    out["default"] = canonical(node.default) if node.has_default else None
    out["ignored"] = node.ignored
    out["values"] = sorted(canonical(v) for v in node.values)
    out["value"] = canonical(node.value)
    out["properties"] = {k: _key(v, depth + 1) for k, v in node.properties.items()}
    out["pattern_properties"] = {k: _key(v, depth + 1) for k, v in node.pattern_properties.items()}
    out["property_dependencies"] = {k: sorted(v) for k, v in node.property_dependencies.items()}
    out["schema_dependencies"] = {
        k: _key(v, depth + 1) for k, v in node.schema_dependencies.items()
    }
    for name in ("additional_schema", "unevaluated", "all_items", "additional_items_schema",
                 "unevaluated_items", "must_not"):
        out[name] = _key(getattr(node, name), depth + 1)
    out["item_schemas"] = (
        None if node.item_schemas is None else [_key(s, depth + 1) for s in node.item_schemas]
    )
    out["subschemas"] = [_key(s, depth + 1) for s in node.subschemas]
    return out


_MERGEABLE = ("string", "number", "object", "array")


def _merge(into: Node, other: Node) -> Node:
    """Merge two fragments of the same class (SchemaUtils.merge); later values win."""
    _copy_generic(into, other)
    if other.kind == "string":
        into.min_length = other.min_length if other.min_length is not None else into.min_length
        into.max_length = other.max_length if other.max_length is not None else into.max_length
        into.pattern = other.pattern if other.pattern is not None else into.pattern
    elif other.kind == "number":
        for name in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum",
                     "multiple_of"):
            if getattr(other, name) is not None:
                setattr(into, name, getattr(other, name))
        into.requires_integer = into.requires_integer or other.requires_integer
    elif other.kind == "object":
        into.pattern_properties.update(other.pattern_properties)
        into.properties.update(other.properties)
        if not other.permits_additional:
            into.permits_additional = False
        if other.additional_schema is not None:
            into.additional_schema = other.additional_schema
        for name in other.required:
            if name not in into.required:
                into.required.append(name)
        if other.min_properties is not None:
            into.min_properties = other.min_properties
        if other.max_properties is not None:
            into.max_properties = other.max_properties
        for prop, deps in other.property_dependencies.items():
            into.property_dependencies.setdefault(prop, set()).update(deps)
        into.schema_dependencies.update(other.schema_dependencies)
        if other.unevaluated is not None:
            into.unevaluated = other.unevaluated
    elif other.kind == "array":
        if other.min_items is not None:
            into.min_items = other.min_items
        if other.max_items is not None:
            into.max_items = other.max_items
        into.unique_items = into.unique_items or other.unique_items
        if other.all_items is not None:
            into.all_items = other.all_items
        if other.item_schemas is not None:
            into.item_schemas = [*(into.item_schemas or []), *other.item_schemas]
        if not other.permits_additional_items:
            into.permits_additional_items = False
        if other.additional_items_schema is not None:
            into.additional_items_schema = other.additional_items_schema
        if other.min_contains is not None:
            into.min_contains = other.min_contains
        if other.max_contains is not None:
            into.max_contains = other.max_contains
        if other.unevaluated_items is not None:
            into.unevaluated_items = other.unevaluated_items
    return into


def _copy_generic(into: Node, other: Node) -> None:
    into.requires_type = into.requires_type or other.requires_type
    for name in ("id", "title", "description"):
        if getattr(other, name) is not None:
            setattr(into, name, getattr(other, name))
    if other.has_default:
        into.default = other.default
    into.ignored.update(other.ignored)


def _flatten(node: Node) -> list[Node]:
    if node.kind == "combined" and node.criterion == "allOf" and node.synthetic:
        return list(node.subschemas)
    return [node]


def _join(previous: Node, current: Node, where: str) -> Node:
    """SchemaTranslator.SchemaContext.join for the fragments of one schema object."""
    if previous.kind == current.kind and previous.kind in _MERGEABLE:
        return _merge(previous, current)
    product: list[Node] = []
    for node in [*_flatten(previous), *_flatten(current)]:
        for i, existing in enumerate(product):
            if existing.kind == node.kind and node.kind in _MERGEABLE:
                product[i] = _merge(existing, node)
                break
        else:
            product.append(node)
    return Node("combined", where=where, criterion="allOf", subschemas=product, synthetic=True)


class Document:
    """One schema document: loads nodes and resolves ``$ref`` inside it (recursion-safe)."""

    def __init__(self, root: Any, name: str = "schema") -> None:
        if not isinstance(root, dict | bool):
            raise SchemaLoadError(f"{name}: a JSON Schema must be an object or a boolean")
        self.raw = root
        self.name = name
        self.base_id = root.get("$id") if isinstance(root, dict) else None
        dialect = root.get("$schema", "") if isinstance(root, dict) else ""
        # Confluent reads 2019-09/2020-12 with json-sKema + SchemaTranslator, anything else
        # (no $schema included: draft-07) with everit's own loader
        self.modern = isinstance(dialect, str) and ("2019-09" in dialect or "2020-12" in dialect)
        self._cache: dict[str, Node] = {}
        self._anchors: dict[str, str] = {}
        self._refs: list[Node] = []
        self._index_anchors(root, "")
        self.root = self.load("")
        i = 0
        while i < len(self._refs):  # resolve every reachable $ref now, as Confluent's loader does
            self._refs[i].resolved()
            i += 1

    def _index_anchors(self, value: Any, pointer: str) -> None:
        if isinstance(value, dict):
            anchor = value.get("$anchor")
            if isinstance(anchor, str):
                self._anchors.setdefault(anchor, pointer)
            for key, sub in value.items():
                if key in ("enum", "const", "default", "examples"):
                    continue
                self._index_anchors(sub, f"{pointer}/{_escape(key)}")
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                self._index_anchors(sub, f"{pointer}/{i}")

    def _at(self, pointer: str) -> Any:
        value = self.raw
        if pointer == "":
            return value
        for token in pointer[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                raise KeyError(pointer)
        return value

    def resolve(self, ref: str, where: str) -> Node:
        """The node a ``$ref`` names, loaded once so recursion ends (Context.enterSchema)."""
        target = ref
        if self.base_id and target.startswith(self.base_id):
            target = target[len(self.base_id):]
        if target in ("", "#"):
            return self.root
        if not target.startswith("#"):
            raise SchemaLoadError(
                f"{self.name}: {where}: $ref {ref!r} points outside this document; inline the "
                "referenced schema or use a local reference like '#/$defs/name'"
            )
        fragment = unquote(target[1:])
        if fragment and not fragment.startswith("/"):
            if fragment not in self._anchors:
                raise SchemaLoadError(
                    f"{self.name}: {where}: $ref {ref!r}: no $anchor {fragment!r}"
                )
            fragment = self._anchors[fragment]
        try:
            self._at(fragment)
        except KeyError:
            raise SchemaLoadError(
                f"{self.name}: {where}: $ref {ref!r} names nothing in this document"
            ) from None
        return self.load(fragment)

    def load(self, pointer: str) -> Node:
        if pointer not in self._cache:
            raw = self._at(pointer)
            placeholder = Node("empty", where="#" + pointer)
            self._cache[pointer] = placeholder  # a $ref cycle during loading stops here
            node = self._build(raw, "#" + pointer)
            self._cache[pointer] = node
        return self._cache[pointer]

    def _sub(self, raw: Any, where: str) -> Node:
        return self._build(raw, where)

    def _build(self, raw: Any, where: str) -> Node:
        if raw is True:
            return Node("true", where=where)
        if raw is False:
            return Node("false", where=where)
        if not isinstance(raw, dict):
            raise SchemaLoadError(f"{self.name}: {where}: expected a schema (object or boolean)")
        fragments: list[Node] = []
        ignored: dict[str, Any] = {}
        prefix_count = len(raw["prefixItems"]) if isinstance(raw.get("prefixItems"), list) else 0
        types = raw.get("type")
        multi = not self.modern and isinstance(types, list)
        consumed: set[str] = set()
        if isinstance(types, list) and multi:
            consumed = {k for t in types for k in _TYPE_KEYWORDS.get(str(t), ())}
        for key, value in raw.items():
            if key in consumed:
                continue
            if key == "type" and multi:
                fragments.append(self._multi_type(raw, value, where, prefix_count, ignored))
                continue
            fragments.extend(self._keyword(raw, key, value, where, prefix_count, ignored))
        node: Node | None = None
        for fragment in fragments:
            node = fragment if node is None else _join(node, fragment, where)
        if node is None or (node.kind == "combined" and node.synthetic and not node.subschemas):
            node = Node("empty", where=where)
        elif node.kind == "combined" and node.synthetic and len(node.subschemas) == 1:
            node = node.subschemas[0]
        node.where = where
        if isinstance(raw.get("$id"), str):
            node.id = raw["$id"]
        if isinstance(raw.get("title"), str):
            node.title = raw["title"]
        if isinstance(raw.get("description"), str):
            node.description = raw["description"]
        if "default" in raw:
            node.default = raw["default"]
        node.ignored.update(ignored)
        return node

    def _multi_type(
        self,
        raw: dict[str, Any],
        types: list[Any],
        where: str,
        prefix_count: int,
        ignored: dict[str, Any],
    ) -> Node:
        """everit (draft-07 and older): ``type: [a, b]`` is anyOf[a, b], each with its keywords.

        (The 2019-09/2020-12 translation keeps the keywords beside the anyOf instead.)
        """
        members = []
        for name in types:
            node = _type_node(str(name), f"{where}/type", self.name)
            for key in _TYPE_KEYWORDS.get(str(name), ()):
                if key in raw:
                    for fragment in self._keyword(raw, key, raw[key], where, prefix_count,
                                                  ignored):
                        if fragment.kind == node.kind:
                            node = _merge(node, fragment)
            members.append(node)
        return Node("combined", where=f"{where}/type", criterion="anyOf", subschemas=members)

    def _keyword(
        self,
        raw: dict[str, Any],
        key: str,
        value: Any,
        where: str,
        prefix_count: int,
        ignored: dict[str, Any],
    ) -> list[Node]:
        at = f"{where}/{_escape(key)}"
        if key == "type":
            if isinstance(value, str):
                return [_type_node(value, at, self.name)]
            if isinstance(value, list):
                subs = [_type_node(str(t), at, self.name) for t in value]
                return [Node("combined", where=at, criterion="anyOf", subschemas=subs)]
            raise SchemaLoadError(f"{self.name}: {at}: 'type' must be a string or a list")
        if key in ("minLength", "maxLength"):
            node = Node("string", where=where)
            setattr(node, "min_length" if key == "minLength" else "max_length", _int(value, at,
                                                                                      self.name))
            return [node]
        if key == "pattern":
            return [Node("string", where=where, pattern=str(value))]
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return []  # draft-4 boolean exclusive* (everit folds it into min/max); ignored
            attr = {"minimum": "minimum", "maximum": "maximum",
                    "exclusiveMinimum": "exclusive_minimum",
                    "exclusiveMaximum": "exclusive_maximum", "multipleOf": "multiple_of"}[key]
            node = Node("number", where=where)
            setattr(node, attr, value)
            return [node]
        if key == "properties" and isinstance(value, dict):
            props = {
                name: self._sub(sub, f"{at}/{_escape(name)}") for name, sub in value.items()
            }
            return [Node("object", where=where, properties=props)]
        if key == "patternProperties" and isinstance(value, dict):
            ignored[key] = value
            pats = {p: self._sub(sub, f"{at}/{_escape(p)}") for p, sub in value.items()}
            return [Node("object", where=where, pattern_properties=pats)]
        if key == "additionalProperties":
            sub = self._sub(value, at)
            if sub.kind == "false":
                return [Node("object", where=where, permits_additional=False)]
            if sub.kind == "true":
                return [Node("object", where=where)]
            return [Node("object", where=where, additional_schema=sub)]
        if key == "unevaluatedProperties":
            return [Node("object", where=where, unevaluated=self._sub(value, at))]
        if key == "required" and isinstance(value, list):
            return [Node("object", where=where, required=[str(v) for v in value])]
        if key in ("minProperties", "maxProperties"):
            node = Node("object", where=where)
            setattr(node, "min_properties" if key == "minProperties" else "max_properties",
                    _int(value, at, self.name))
            return [node]
        if key == "dependentRequired" and isinstance(value, dict):
            deps = {k: {str(p) for p in v} for k, v in value.items() if isinstance(v, list)}
            return [Node("object", where=where, property_dependencies=deps)]
        if key == "dependentSchemas" and isinstance(value, dict):
            schemas = {k: self._sub(v, f"{at}/{_escape(k)}") for k, v in value.items()}
            return [Node("object", where=where, schema_dependencies=schemas)]
        if key == "dependencies" and isinstance(value, dict):
            # draft-07 keyword (everit): arrays are property dependencies, objects schemas
            deps = {k: {str(p) for p in v} for k, v in value.items() if isinstance(v, list)}
            schemas = {
                k: self._sub(v, f"{at}/{_escape(k)}")
                for k, v in value.items()
                if not isinstance(v, list)
            }
            return [Node("object", where=where, property_dependencies=deps,
                         schema_dependencies=schemas)]
        if key == "propertyNames":
            ignored[key] = value
            return [Node("object", where=where)]
        if key == "items":
            if isinstance(value, list):  # draft-07 tuple form
                subs = [self._sub(v, f"{at}/{i}") for i, v in enumerate(value)]
                return [Node("array", where=where, item_schemas=subs)]
            sub = self._sub(value, at)
            if sub.kind == "false":
                return [Node("array", where=where, permits_additional_items=False)]
            if sub.kind == "true":
                return [Node("array", where=where)]
            if prefix_count == 0:
                return [Node("array", where=where, all_items=sub)]
            return [Node("array", where=where, additional_items_schema=sub)]
        if key == "additionalItems" and isinstance(raw.get("items"), list):
            sub = self._sub(value, at)
            if sub.kind == "false":
                return [Node("array", where=where, permits_additional_items=False)]
            if sub.kind == "true":
                return [Node("array", where=where)]
            return [Node("array", where=where, additional_items_schema=sub)]
        if key == "prefixItems" and isinstance(value, list):
            subs = [self._sub(v, f"{at}/{i}") for i, v in enumerate(value)]
            return [Node("array", where=where, item_schemas=subs)]
        if key in ("minItems", "maxItems", "minContains", "maxContains"):
            attr = {"minItems": "min_items", "maxItems": "max_items",
                    "minContains": "min_contains", "maxContains": "max_contains"}[key]
            node = Node("array", where=where)
            setattr(node, attr, _int(value, at, self.name))
            return [node]
        if key == "uniqueItems":
            return [Node("array", where=where, unique_items=bool(value))]
        if key == "contains":
            ignored[key] = value
            return [Node("array", where=where)]
        if key == "unevaluatedItems":
            return [Node("array", where=where, unevaluated_items=self._sub(value, at))]
        if key == "enum" and isinstance(value, list):
            return [Node("enum", where=where, values=list(value))]
        if key == "const":
            return [Node("const", where=where, value=value)]
        if key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            members: list[Node] = []
            for i, v in enumerate(value):
                # SchemaTranslator flattens a synthetic allOf child into its parent's list
                members.extend(_flatten(self._sub(v, f"{at}/{i}")))
            return [Node("combined", where=at, criterion=key, subschemas=members)]
        if key == "not":
            return [Node("not", where=where, must_not=self._sub(value, at))]
        if key == "$ref" and isinstance(value, str):
            ref = Node("ref", where=where, ref=value, document=self)
            self._refs.append(ref)
            return [ref]
        if key in ("if", "then", "else"):
            ignored[key] = value
            return [Node("conditional", where=where)] if key == "if" else []
        if key in IGNORED_KEYWORDS:
            ignored[key] = value
        return []


def _type_node(name: str, where: str, doc: str) -> Node:
    if name not in _TYPES:
        raise SchemaLoadError(
            f"{doc}: {where}: unknown type {name!r}; use one of {', '.join(_TYPES)}"
        )
    if name == "integer":
        return Node("number", where=where, requires_integer=True, requires_type=True)
    return Node(name, where=where, requires_type=True)


def _int(value: Any, where: str, doc: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise SchemaLoadError(f"{doc}: {where}: expected a non-negative integer, got {value!r}")
    return int(value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pattern_matches(pattern: str, name: str) -> bool:
    """Java's ``Pattern.matcher(name).find()``; a pattern Python cannot compile never matches."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False
