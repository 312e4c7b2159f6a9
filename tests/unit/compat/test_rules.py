"""One test per Confluent compatibility rule, in both directions.

Every case is a change from ``old`` to ``new`` with the ``Difference.Type`` Confluent's
``json/diff`` package reports for it (``SchemaDiff.compare(old, new)``, what BACKWARD runs),
and the type it reports for the reverse change (``new`` -> ``old``). Whether a type breaks is
Confluent's STRICT ``SchemaDiff.COMPATIBLE_CHANGES``. The expectations were written by hand
from the Java sources (ObjectSchemaDiff, ArraySchemaDiff, NumberSchemaDiff, StringSchemaDiff,
EnumSchemaDiff, ConstSchemaDiff, CombinedSchemaDiff, NotSchemaDiff, SchemaDiff).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from accord.schemas.compat import COMPATIBLE, CompatResult, check_compatibility

pytestmark = pytest.mark.unit

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}


def obj(props: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def closed(props: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return obj(props, required, additionalProperties=False, **extra)


def arr(**kw: Any) -> dict[str, Any]:
    return {"type": "array", **kw}


@dataclass(frozen=True)
class Rule:
    kind: str  # Confluent Difference.Type for old -> new
    old: Any
    new: Any
    path: str
    reverse: str  # Difference.Type for new -> old
    reverse_path: str | None = None  # default: same path


RULES: list[Rule] = [
    # --- SchemaDiff: annotations -------------------------------------------------------
    Rule("ID_CHANGED", {"$id": "urn:a", **STR}, {"$id": "urn:b", **STR}, "#", "ID_CHANGED"),
    Rule("TITLE_CHANGED", {"title": "a", **STR}, {"title": "b", **STR}, "#", "TITLE_CHANGED"),
    Rule("DESCRIPTION_CHANGED", {"description": "a", **STR}, {"description": "b", **STR}, "#",
         "DESCRIPTION_CHANGED"),
    Rule("DEFAULT_CHANGED", {"default": "a", **STR}, {"default": "b", **STR}, "#",
         "DEFAULT_CHANGED"),
    # --- SchemaDiff: types ---------------------------------------------------------------
    Rule("TYPE_CHANGED", STR, INT, "#", "TYPE_CHANGED"),
    Rule("TYPE_CHANGED", obj({"a": STR}), obj({"a": {"type": "boolean"}}), "#/properties/a",
         "TYPE_CHANGED"),
    # NumberSchemaDiff: integer -> number widens
    Rule("TYPE_EXTENDED", INT, {"type": "number"}, "#", "TYPE_NARROWED"),
    # ArraySchemaDiff.compareItemSchemaObject: a schema appearing where there was none
    Rule("SCHEMA_ADDED", arr(), arr(items=STR), "#/items", "SCHEMA_REMOVED"),
    # --- StringSchemaDiff ---------------------------------------------------------------
    Rule("MAX_LENGTH_ADDED", STR, {**STR, "maxLength": 5}, "#/maxLength", "MAX_LENGTH_REMOVED"),
    Rule("MAX_LENGTH_INCREASED", {**STR, "maxLength": 5}, {**STR, "maxLength": 9},
         "#/maxLength", "MAX_LENGTH_DECREASED"),
    Rule("MIN_LENGTH_ADDED", STR, {**STR, "minLength": 1}, "#/minLength", "MIN_LENGTH_REMOVED"),
    Rule("MIN_LENGTH_INCREASED", {**STR, "minLength": 1}, {**STR, "minLength": 3},
         "#/minLength", "MIN_LENGTH_DECREASED"),
    Rule("PATTERN_ADDED", STR, {**STR, "pattern": "^a"}, "#/pattern", "PATTERN_REMOVED"),
    Rule("PATTERN_CHANGED", {**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, "#/pattern",
         "PATTERN_CHANGED"),
    # --- NumberSchemaDiff ---------------------------------------------------------------
    Rule("MAXIMUM_ADDED", INT, {**INT, "maximum": 9}, "#/maximum", "MAXIMUM_REMOVED"),
    Rule("MAXIMUM_INCREASED", {**INT, "maximum": 9}, {**INT, "maximum": 99}, "#/maximum",
         "MAXIMUM_DECREASED"),
    Rule("MINIMUM_ADDED", INT, {**INT, "minimum": 1}, "#/minimum", "MINIMUM_REMOVED"),
    Rule("MINIMUM_INCREASED", {**INT, "minimum": 1}, {**INT, "minimum": 5}, "#/minimum",
         "MINIMUM_DECREASED"),
    Rule("EXCLUSIVE_MAXIMUM_ADDED", INT, {**INT, "exclusiveMaximum": 9}, "#/exclusiveMaximum",
         "EXCLUSIVE_MAXIMUM_REMOVED"),
    Rule("EXCLUSIVE_MAXIMUM_INCREASED", {**INT, "exclusiveMaximum": 9},
         {**INT, "exclusiveMaximum": 99}, "#/exclusiveMaximum", "EXCLUSIVE_MAXIMUM_DECREASED"),
    Rule("EXCLUSIVE_MINIMUM_ADDED", INT, {**INT, "exclusiveMinimum": 0}, "#/exclusiveMinimum",
         "EXCLUSIVE_MINIMUM_REMOVED"),
    Rule("EXCLUSIVE_MINIMUM_INCREASED", {**INT, "exclusiveMinimum": 0},
         {**INT, "exclusiveMinimum": 5}, "#/exclusiveMinimum", "EXCLUSIVE_MINIMUM_DECREASED"),
    Rule("MULTIPLE_OF_ADDED", INT, {**INT, "multipleOf": 2}, "#/multipleOf",
         "MULTIPLE_OF_REMOVED"),
    # 2 -> 4: every multiple of 4 is one of 2, fewer values pass
    Rule("MULTIPLE_OF_EXPANDED", {**INT, "multipleOf": 2}, {**INT, "multipleOf": 4},
         "#/multipleOf", "MULTIPLE_OF_REDUCED"),
    Rule("MULTIPLE_OF_CHANGED", {**INT, "multipleOf": 2}, {**INT, "multipleOf": 3},
         "#/multipleOf", "MULTIPLE_OF_CHANGED"),
    # --- EnumSchemaDiff / ConstSchemaDiff -----------------------------------------------------
    Rule("ENUM_ARRAY_EXTENDED", {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}, "#/enum",
         "ENUM_ARRAY_NARROWED"),
    Rule("ENUM_ARRAY_CHANGED", {"enum": ["a", "b"]}, {"enum": ["a", "c"]}, "#/enum",
         "ENUM_ARRAY_CHANGED"),
    Rule("ENUM_ARRAY_CHANGED", {"const": "a"}, {"const": "b"}, "#/const", "ENUM_ARRAY_CHANGED"),
    # --- ObjectSchemaDiff: required -----------------------------------------------------
    Rule("REQUIRED_ATTRIBUTE_ADDED", closed({"a": STR, "b": STR}, ("a",)),
         closed({"a": STR, "b": STR}, ("a", "b")), "#/required/b",
         "REQUIRED_ATTRIBUTE_REMOVED"),
    Rule("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
         closed({"a": STR, "b": {**STR, "default": "x"}}, ("a",)),
         closed({"a": STR, "b": {**STR, "default": "x"}}, ("a", "b")), "#/required/b",
         "REQUIRED_ATTRIBUTE_REMOVED"),
    # --- ObjectSchemaDiff: open content model (no additionalProperties) -----------------------
    Rule("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", obj({"a": STR}),
         obj({"a": STR, "b": STR}), "#/properties/b", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    Rule("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", obj({"a": STR}),
         obj({"a": STR, "b": STR}, ("b",)), "#/properties/b",
         "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    Rule("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", obj({"a": STR}),
         obj({"a": STR, "b": {**STR, "default": "x"}}, ("b",)), "#/properties/b",
         "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    Rule("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", obj({"a": STR}),
         obj({"a": STR, "b": {}}), "#/properties/b", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    # --- ObjectSchemaDiff: closed content model (additionalProperties: false) -----------------
    Rule("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", closed({"a": STR}),
         closed({"a": STR, "b": STR}), "#/properties/b",
         "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Rule("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", closed({"a": STR}),
         closed({"a": STR, "b": STR}, ("b",)), "#/properties/b",
         "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Rule("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", closed({"a": STR}),
         closed({"a": STR, "b": {**STR, "default": "x"}}, ("b",)), "#/properties/b",
         "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Rule("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", closed({"a": STR, "b": False}),
         closed({"a": STR}), "#/properties/b", "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"),
    # --- ObjectSchemaDiff: partially open content model ---------------------------------------
    # covered: the added property accepts everything additionalProperties accepted (wider)
    Rule("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
         obj({"a": STR}, additionalProperties={**STR, "maxLength": 3}),
         obj({"a": STR, "b": STR}, additionalProperties={**STR, "maxLength": 3}),
         "#/properties/b", "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Rule("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
         obj({"a": STR}, additionalProperties=STR),
         obj({"a": STR, "b": INT}, additionalProperties=STR),
         "#/properties/b", "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Rule("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
         obj({"a": STR}, patternProperties={"^x_": STR}, additionalProperties=False),
         obj({"a": STR, "x_b": STR}, patternProperties={"^x_": STR}, additionalProperties=False),
         "#/properties/x_b", "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    # --- ObjectSchemaDiff: additionalProperties ----------------------------------------------
    Rule("ADDITIONAL_PROPERTIES_ADDED", closed({"a": STR}), obj({"a": STR}),
         "#/additionalProperties", "ADDITIONAL_PROPERTIES_REMOVED"),
    Rule("ADDITIONAL_PROPERTIES_EXTENDED", obj({"a": STR}, additionalProperties=STR),
         obj({"a": STR}), "#/additionalProperties", "ADDITIONAL_PROPERTIES_NARROWED"),
    Rule("TYPE_CHANGED", obj({}, additionalProperties=STR), obj({}, additionalProperties=INT),
         "#/additionalProperties", "TYPE_CHANGED"),
    # --- ObjectSchemaDiff: attributes and dependencies ------------------------------------
    Rule("MAX_PROPERTIES_ADDED", obj({}), obj({}, maxProperties=3), "#/maxProperties",
         "MAX_PROPERTIES_REMOVED"),
    Rule("MAX_PROPERTIES_INCREASED", obj({}, maxProperties=3), obj({}, maxProperties=5),
         "#/maxProperties", "MAX_PROPERTIES_DECREASED"),
    Rule("MIN_PROPERTIES_ADDED", obj({}), obj({}, minProperties=1), "#/minProperties",
         "MIN_PROPERTIES_REMOVED"),
    Rule("MIN_PROPERTIES_INCREASED", obj({}, minProperties=1), obj({}, minProperties=2),
         "#/minProperties", "MIN_PROPERTIES_DECREASED"),
    Rule("DEPENDENCY_ARRAY_ADDED", obj({"a": STR, "b": STR}),
         obj({"a": STR, "b": STR}, dependentRequired={"a": ["b"]}), "#/dependencies/a",
         "DEPENDENCY_ARRAY_REMOVED"),
    Rule("DEPENDENCY_ARRAY_EXTENDED", obj({}, dependentRequired={"a": ["b"]}),
         obj({}, dependentRequired={"a": ["b", "c"]}), "#/dependencies/a",
         "DEPENDENCY_ARRAY_NARROWED"),
    Rule("DEPENDENCY_ARRAY_CHANGED", obj({}, dependentRequired={"a": ["b"]}),
         obj({}, dependentRequired={"a": ["c"]}), "#/dependencies/a",
         "DEPENDENCY_ARRAY_CHANGED"),
    # draft-07 spelling, read as everit reads it
    Rule("DEPENDENCY_ARRAY_ADDED", obj({}), obj({}, dependencies={"a": ["b"]}),
         "#/dependencies/a", "DEPENDENCY_ARRAY_REMOVED"),
    Rule("DEPENDENCY_SCHEMA_ADDED", obj({}), obj({}, dependentSchemas={"a": {"required": ["b"]}}),
         "#/dependencies/a", "DEPENDENCY_SCHEMA_REMOVED"),
    # --- unevaluatedProperties (8.x; compatibility inferred, see _kinds.py) ----------------
    Rule("UNEVALUATED_PROPERTIES_ADDED", obj({"a": STR}, unevaluatedProperties=False),
         obj({"a": STR}), "#/unevaluatedProperties", "UNEVALUATED_PROPERTIES_REMOVED"),
    Rule("UNEVALUATED_PROPERTIES_EXTENDED", obj({"a": STR}, unevaluatedProperties=STR),
         obj({"a": STR}), "#/unevaluatedProperties", "UNEVALUATED_PROPERTIES_NARROWED"),
    # --- ArraySchemaDiff: attributes --------------------------------------------------------
    Rule("MAX_ITEMS_ADDED", arr(), arr(maxItems=3), "#/maxItems", "MAX_ITEMS_REMOVED"),
    Rule("MAX_ITEMS_INCREASED", arr(maxItems=3), arr(maxItems=5), "#/maxItems",
         "MAX_ITEMS_DECREASED"),
    Rule("MIN_ITEMS_ADDED", arr(), arr(minItems=1), "#/minItems", "MIN_ITEMS_REMOVED"),
    Rule("MIN_ITEMS_INCREASED", arr(minItems=1), arr(minItems=2), "#/minItems",
         "MIN_ITEMS_DECREASED"),
    Rule("UNIQUE_ITEMS_ADDED", arr(), arr(uniqueItems=True), "#/uniqueItems",
         "UNIQUE_ITEMS_REMOVED"),
    Rule("MAX_CONTAINS_ADDED", arr(contains=STR), arr(contains=STR, maxContains=2),
         "#/maxContains", "MAX_CONTAINS_REMOVED"),
    Rule("MAX_CONTAINS_INCREASED", arr(contains=STR, maxContains=2),
         arr(contains=STR, maxContains=4), "#/maxContains", "MAX_CONTAINS_DECREASED"),
    Rule("MIN_CONTAINS_ADDED", arr(contains=STR), arr(contains=STR, minContains=2),
         "#/minContains", "MIN_CONTAINS_REMOVED"),
    Rule("MIN_CONTAINS_INCREASED", arr(contains=STR, minContains=1),
         arr(contains=STR, minContains=2), "#/minContains", "MIN_CONTAINS_DECREASED"),
    Rule("TYPE_CHANGED", arr(items=STR), arr(items=INT), "#/items", "TYPE_CHANGED"),
    # --- ArraySchemaDiff: tuples (prefixItems) and their content model ----------------------
    Rule("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", arr(prefixItems=[STR]), arr(prefixItems=[STR, INT]),
         "#/items/1", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    Rule("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", arr(prefixItems=[STR]),
         arr(prefixItems=[STR, {}]), "#/items/1", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"),
    Rule("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", arr(prefixItems=[STR], items=False),
         arr(prefixItems=[STR, INT], items=False), "#/items/1",
         "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
    Rule("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
         arr(prefixItems=[STR, False], items=False), arr(prefixItems=[STR], items=False),
         "#/items/1", "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"),
    Rule("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", arr(prefixItems=[STR], items=STR),
         arr(prefixItems=[STR, STR], items=STR), "#/items/1",
         "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Rule("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
         arr(prefixItems=[STR], items=STR), arr(prefixItems=[STR, INT], items=STR), "#/items/1",
         "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
    Rule("ADDITIONAL_ITEMS_ADDED", arr(prefixItems=[STR], items=False), arr(prefixItems=[STR]),
         "#/additionalItems", "ADDITIONAL_ITEMS_REMOVED"),
    Rule("ADDITIONAL_ITEMS_EXTENDED", arr(prefixItems=[STR], items=INT), arr(prefixItems=[STR]),
         "#/additionalItems", "ADDITIONAL_ITEMS_NARROWED"),
    Rule("UNEVALUATED_ITEMS_ADDED", arr(prefixItems=[STR], unevaluatedItems=False),
         arr(prefixItems=[STR]), "#/unevaluatedItems", "UNEVALUATED_ITEMS_REMOVED"),
    Rule("UNEVALUATED_ITEMS_EXTENDED", arr(prefixItems=[STR], unevaluatedItems=INT),
         arr(prefixItems=[STR]), "#/unevaluatedItems", "UNEVALUATED_ITEMS_NARROWED"),
    # --- CombinedSchemaDiff ---------------------------------------------------------------
    Rule("SUM_TYPE_EXTENDED", {"anyOf": [STR, INT]}, {"anyOf": [STR, INT, {"type": "boolean"}]},
         "#", "SUM_TYPE_NARROWED"),
    Rule("SUM_TYPE_EXTENDED", {"oneOf": [STR, INT]}, {"oneOf": [STR, INT, {"type": "boolean"}]},
         "#", "SUM_TYPE_NARROWED"),
    # allOf subschemas only pair with their like: minLength/minLength, maxLength/maxLength
    Rule("PRODUCT_TYPE_EXTENDED", {"allOf": [{"minLength": 1}, {"maxLength": 9}]},
         {"allOf": [{"minLength": 1}, {"maxLength": 9}, {"pattern": "^a"}]}, "#",
         "PRODUCT_TYPE_NARROWED"),
    Rule("COMBINED_TYPE_CHANGED", {"anyOf": [{"minLength": 1}, {"maxLength": 9}]},
         {"allOf": [{"minLength": 1}, {"maxLength": 9}]}, "#", "COMBINED_TYPE_EXTENDED"),
    Rule("COMBINED_TYPE_CHANGED", {"anyOf": [STR, INT]}, {"oneOf": [STR, INT]}, "#",
         "COMBINED_TYPE_EXTENDED"),
    Rule("COMBINED_TYPE_SUBSCHEMAS_CHANGED", {"anyOf": [STR, INT]},
         {"anyOf": [STR, {"type": "boolean"}]}, "#", "COMBINED_TYPE_SUBSCHEMAS_CHANGED"),
    # SchemaDiff: a schema that becomes one alternative of an anyOf (here a multi-type)
    Rule("SUM_TYPE_EXTENDED", STR, {"type": ["string", "null"]}, "#", "TYPE_CHANGED"),
    Rule("SUM_TYPE_EXTENDED", obj({"a": STR}), obj({"a": {"anyOf": [STR, {"type": "null"}]}}),
         "#/properties/a", "TYPE_CHANGED"),
    # SchemaDiff (allOf original, plain update): one allOf member stands for the whole
    Rule("PRODUCT_TYPE_NARROWED",
         {"allOf": [{**STR, "minLength": 1}, {**STR, "maxLength": 9}]},
         {**STR, "minLength": 1}, "#", "TYPE_CHANGED"),
    # --- NotSchemaDiff: the wrapped schemas compare in reverse -------------------------------
    Rule("NOT_TYPE_EXTENDED", {"not": STR}, {"not": {"type": ["string", "integer"]}}, "#/not",
         "NOT_TYPE_NARROWED"),
]


def _find(result: CompatResult, kind: str, path: str) -> list[Any]:
    return [c for c in result.changes if c.kind == kind and c.path == path]


def _ids(rule: Rule) -> str:
    return f"{rule.kind}->{rule.reverse}@{rule.path}"


DIALECTS = {
    # no $schema: Confluent loads it as draft-07 with everit
    "draft07": None,
    # 2020-12: Confluent loads it with json-sKema and translates it (SchemaTranslator)
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}


def _in(dialect: str, schema: Any) -> Any:
    uri = DIALECTS[dialect]
    return {"$schema": uri, **schema} if uri and isinstance(schema, dict) else schema


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_rule_old_to_new(rule: Rule, dialect: str) -> None:
    result = check_compatibility([_in(dialect, rule.old), _in(dialect, rule.new)], "BACKWARD")
    found = _find(result, rule.kind, rule.path)
    assert found, f"expected {rule.kind} at {rule.path}, got {result.changes}"
    breaking = rule.kind not in COMPATIBLE
    assert found[0].breaking is breaking
    assert result.compatible is (not breaking), result.changes


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_rule_new_to_old(rule: Rule, dialect: str) -> None:
    result = check_compatibility([_in(dialect, rule.new), _in(dialect, rule.old)], "BACKWARD")
    path = rule.reverse_path or rule.path
    found = _find(result, rule.reverse, path)
    assert found, f"expected {rule.reverse} at {path}, got {result.changes}"
    breaking = rule.reverse not in COMPATIBLE
    assert found[0].breaking is breaking
    assert result.compatible is (not breaking), result.changes


def test_the_table_covers_every_difference_type() -> None:
    """Every Difference.Type accord can emit has a case here (NOT_COMPARED has its own tests)."""
    from accord.schemas.compat import ALL_KINDS, NOT_COMPARED

    seen = {r.kind for r in RULES} | {r.reverse for r in RULES}
    assert seen <= set(ALL_KINDS)
    assert set(ALL_KINDS) - seen == {NOT_COMPARED}


def test_compatible_kinds_are_confluents_strict_list() -> None:
    """Spot checks of SchemaDiff.COMPATIBLE_CHANGES (STRICT), both ways round."""
    for kind in ("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "SUM_TYPE_EXTENDED",
                 "PRODUCT_TYPE_NARROWED", "ENUM_ARRAY_EXTENDED", "TYPE_EXTENDED",
                 "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
                 "NOT_TYPE_NARROWED", "COMBINED_TYPE_EXTENDED"):
        assert kind in COMPATIBLE, kind
    for kind in ("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                 "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ADDITIONAL_PROPERTIES_NARROWED",
                 "ADDITIONAL_PROPERTIES_REMOVED", "TYPE_NARROWED", "SUM_TYPE_NARROWED",
                 "PRODUCT_TYPE_EXTENDED", "COMBINED_TYPE_SUBSCHEMAS_CHANGED", "SCHEMA_ADDED",
                 "UNIQUE_ITEMS_ADDED", "ENUM_ARRAY_NARROWED", "NOT_TYPE_EXTENDED"):
        assert kind not in COMPATIBLE, kind
