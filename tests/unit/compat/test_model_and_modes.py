"""How schemas are modelled before the diff (as Confluent's SchemaTranslator does), references,
NOT_COMPARED, and the compatibility modes (plain and transitive)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from accord.errors import UsageError
from accord.schemas.compat import (
    MODES,
    NOT_COMPARED,
    SchemaLoadError,
    check_compatibility,
)

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
CONTRACTS = Path(__file__).parents[3] / "contracts"
STR: dict[str, Any] = {"type": "string"}


def kinds(result: Any) -> set[tuple[str, str]]:
    return {(c.kind, c.path) for c in result.changes}


def load(path: Path) -> Any:
    return json.loads(path.read_text())


# --- empty, true and false schemas (SchemaDiff: TrueSchema extends EmptySchema) ---------------


def test_any_schema_may_become_the_empty_schema_without_a_difference() -> None:
    result = check_compatibility([STR, {}], "BACKWARD")
    assert result.compatible and result.changes == []
    assert check_compatibility([STR, True], "BACKWARD").changes == []


def test_the_empty_schema_becoming_a_type_is_TYPE_CHANGED() -> None:
    result = check_compatibility([{}, STR], "BACKWARD")
    assert kinds(result) == {("TYPE_CHANGED", "#")} and not result.compatible


def test_a_false_original_may_become_anything() -> None:
    assert check_compatibility([False, STR], "BACKWARD").compatible


# --- typed enums: Confluent models {"type": "string", "enum": [...]} as allOf[string, enum] ---


def test_typed_enum_extended_is_compatible_and_reported_inside_the_synthetic_allOf() -> None:
    result = check_compatibility(
        [{"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["a", "b"]}], "BACKWARD"
    )
    assert result.compatible
    assert ("ENUM_ARRAY_EXTENDED", "#/allOf/1/enum") in kinds(result)


def test_typed_enum_narrowed_is_COMBINED_TYPE_SUBSCHEMAS_CHANGED_with_the_reason() -> None:
    result = check_compatibility(
        [{"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["a"]}], "BACKWARD"
    )
    assert not result.compatible
    [change] = result.breaking
    assert (change.kind, change.path) == ("COMBINED_TYPE_SUBSCHEMAS_CHANGED", "#")
    assert "ENUM_ARRAY_NARROWED at #/allOf/1/enum" in change.message


def test_keywords_of_one_type_merge_into_one_schema_without_a_type_keyword() -> None:
    # {"minLength": 1} is a string schema that does not require a string: same class as STR
    result = check_compatibility([{"minLength": 1}, {"type": "string", "minLength": 2}])
    assert kinds(result) == {("MIN_LENGTH_INCREASED", "#/minLength"), (NOT_COMPARED, "#/type")}


def test_duplicate_subschemas_collapse_before_counting() -> None:
    result = check_compatibility([{"anyOf": [STR, STR]}, {"anyOf": [STR]}], "FULL")
    assert result.compatible, result.changes


def test_singleton_unions_compare_as_their_member() -> None:
    assert check_compatibility([STR, {"anyOf": [STR]}], "FULL").changes == []


# --- references ----------------------------------------------------------------------------


def _with_defs(prop: Any, defs: dict[str, Any], key: str = "$defs") -> dict[str, Any]:
    return {"type": "object", "properties": {"a": prop}, key: defs}


def test_a_change_behind_a_ref_is_reported_at_the_referring_path() -> None:
    v1 = load(CONTRACTS / "schemas" / "order.accepted" / "v1.json")
    v2 = copy.deepcopy(v1)
    v2["$defs"]["money"]["pattern"] = "^[0-9]+$"
    result = check_compatibility([v1, v2], "BACKWARD")
    assert ("PATTERN_CHANGED", "#/properties/total/pattern") in kinds(result)
    assert ("PATTERN_CHANGED",
            "#/properties/lines/items/properties/item/properties/price/pattern") in kinds(result)
    assert not result.compatible


@pytest.mark.parametrize("key", ["$defs", "definitions"])
def test_inline_and_referenced_schemas_are_the_same(key: str) -> None:
    inline = _with_defs({"type": "string", "maxLength": 3}, {}, key)
    referenced = _with_defs({"$ref": f"#/{key}/s"}, {"s": {"type": "string", "maxLength": 3}},
                            key)
    assert check_compatibility([inline, referenced], "FULL").changes == []
    assert check_compatibility([referenced, inline], "FULL").changes == []


def test_refs_by_document_id_and_by_anchor_resolve() -> None:
    schema = {
        "$id": "urn:x",
        "type": "object",
        "properties": {"a": {"$ref": "urn:x#/$defs/s"}, "b": {"$ref": "#name"}},
        "$defs": {"s": STR, "t": {"$anchor": "name", **STR}},
    }
    changed = copy.deepcopy(schema)
    changed["$defs"]["t"]["maxLength"] = 2
    assert kinds(check_compatibility([schema, changed])) == {
        ("MAX_LENGTH_ADDED", "#/properties/b/maxLength")
    }


def test_recursive_schemas_terminate() -> None:
    tree = {
        "type": "object",
        "properties": {"name": STR, "children": {"type": "array", "items": {"$ref": "#"}}},
    }
    changed = copy.deepcopy(tree)
    changed["properties"]["name"] = {"type": "string", "maxLength": 5}
    result = check_compatibility([tree, changed], "FULL_TRANSITIVE")
    assert ("MAX_LENGTH_ADDED", "#/properties/name/maxLength") in kinds(result)
    assert not result.compatible


@pytest.mark.parametrize("ref", ["#/$defs/missing", "other.json#/x", "#nowhere"])
def test_an_unresolvable_ref_is_a_usage_error_naming_the_schema(ref: str) -> None:
    broken = {"type": "object", "properties": {"a": {"$ref": ref}}}
    with pytest.raises(SchemaLoadError, match=r"v2: #/properties/a: \$ref") as info:
        check_compatibility([{"type": "object"}, broken])
    assert isinstance(info.value, UsageError)


def test_an_unknown_type_is_a_usage_error() -> None:
    with pytest.raises(SchemaLoadError, match="unknown type 'text'"):
        check_compatibility([STR, {"type": "text"}])


# --- what Confluent does not compare is said, not hidden -------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ({"type": "string"}, {"type": "string", "format": "email"}, "#/format"),
        ({"type": "string", "format": "uuid"}, {"type": "string", "format": "date"}, "#/format"),
        ({"type": "object", "patternProperties": {"^x": STR}},
         {"type": "object", "patternProperties": {"^x": {"type": "integer"}}},
         "#/patternProperties"),
        ({"type": "object"}, {"type": "object", "propertyNames": {"maxLength": 3}},
         "#/propertyNames"),
        ({"type": "array", "contains": STR}, {"type": "array", "contains": {"type": "integer"}},
         "#/contains"),
        ({"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}},
         {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["c"]}}, "#/then"),
    ],
    ids=["format-added", "format-changed", "patternProperties", "propertyNames", "contains",
         "then"],
)
def test_changes_confluent_does_not_compare_are_NOT_COMPARED_and_not_breaking(
    old: Any, new: Any, path: str
) -> None:
    for schemas in ([old, new], [new, old]):
        result = check_compatibility(schemas, "FULL")
        notes = [c for c in result.changes if c.kind == NOT_COMPARED]
        assert [c.path for c in notes] == [path], result.changes
        assert result.compatible
        assert not notes[0].breaking
        assert "check this change by hand" in notes[0].message


# --- modes ---------------------------------------------------------------------------------

CLOSED_A = {"type": "object", "additionalProperties": False, "properties": {"a": STR}}
CLOSED_AB = {"type": "object", "additionalProperties": False, "properties": {"a": STR, "b": STR}}


def test_backward_forward_full_differ_on_one_change() -> None:
    # adding an optional property to a closed model: new readers cope with old data (BACKWARD),
    # old readers reject the new property (FORWARD: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL)
    assert check_compatibility([CLOSED_A, CLOSED_AB], "BACKWARD").compatible
    forward = check_compatibility([CLOSED_A, CLOSED_AB], "FORWARD")
    assert not forward.compatible
    assert [(c.kind, c.direction) for c in forward.breaking] == [
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "forward")
    ]
    full = check_compatibility([CLOSED_A, CLOSED_AB], "FULL")
    assert not full.compatible
    assert {c.direction for c in full.changes} == {"backward", "forward"}
    # and the reverse change (dropping b) is FORWARD-compatible only
    assert not check_compatibility([CLOSED_AB, CLOSED_A], "BACKWARD").compatible
    assert check_compatibility([CLOSED_AB, CLOSED_A], "FORWARD").compatible


def test_plain_modes_compare_only_with_the_previous_version() -> None:
    v1, v2, v3 = (load(DATA / "transitive" / f"v{i}.json") for i in (1, 2, 3))
    assert check_compatibility([v1, v2], "BACKWARD").compatible  # default added with the field
    assert check_compatibility([v2, v3], "BACKWARD").compatible  # only DEFAULT_CHANGED
    assert not check_compatibility([v1, v3], "BACKWARD").compatible
    assert check_compatibility([v1, v2, v3], "BACKWARD").compatible


def test_transitive_modes_compare_with_every_earlier_version() -> None:
    v1, v2, v3 = (load(DATA / "transitive" / f"v{i}.json") for i in (1, 2, 3))
    result = check_compatibility([v1, v2, v3], "BACKWARD_TRANSITIVE")
    assert not result.compatible
    [change] = result.breaking
    assert (change.kind, change.path, change.versions) == (
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "#/properties/carrier", (1, 3)
    )
    assert "v3 cannot read data written with v1" in change.message
    assert not check_compatibility([v1, v2, v3], "FULL_TRANSITIVE").compatible
    assert check_compatibility([v3, v2, v1], "FORWARD").compatible
    assert not check_compatibility([v3, v2, v1], "FORWARD_TRANSITIVE").compatible


def test_mode_names_and_errors() -> None:
    assert MODES == ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
                     "FULL_TRANSITIVE")
    assert check_compatibility([STR, STR], "full_transitive").mode == "FULL_TRANSITIVE"
    with pytest.raises(UsageError, match="unknown compatibility mode 'SIDEWAYS'"):
        check_compatibility([STR, STR], "SIDEWAYS")


def test_one_version_is_trivially_compatible() -> None:
    result = check_compatibility([STR], "FULL_TRANSITIVE")
    assert result.compatible and result.changes == []


def test_the_real_contracts_are_compatible_with_themselves() -> None:
    for path in sorted((CONTRACTS / "schemas").glob("*/v1.json")):
        schema = load(path)
        result = check_compatibility([schema, schema], "FULL_TRANSITIVE")
        assert result.compatible and result.changes == [], path


# --- dialects: everit (draft-07, the default without $schema) vs json-sKema (2020-12) ---------

MODERN = {"$schema": "https://json-schema.org/draft/2020-12/schema"}


def test_draft07_multi_type_carries_its_keywords_inside_the_anyOf() -> None:
    # everit: anyOf[string(maxLength), null]; the change is inside anyOf/0
    old = {"type": ["string", "null"], "maxLength": 5}
    new = {"type": ["string", "null"], "maxLength": 9}
    result = check_compatibility([old, new], "BACKWARD")
    assert result.compatible
    assert ("MAX_LENGTH_INCREASED", "#/anyOf/0/maxLength") in kinds(result)


def test_2020_12_multi_type_keeps_its_keywords_beside_the_anyOf() -> None:
    # SchemaTranslator: allOf[anyOf[string, null], string(maxLength)]
    old = {**MODERN, "type": ["string", "null"], "maxLength": 5}
    new = {**MODERN, "type": ["string", "null"], "maxLength": 9}
    result = check_compatibility([old, new], "BACKWARD")
    assert result.compatible
    assert ("MAX_LENGTH_INCREASED", "#/allOf/1/maxLength") in kinds(result)


def test_enum_to_const_is_TYPE_CHANGED_even_when_the_value_was_allowed() -> None:
    # EnumSchema and ConstSchema are different classes to Confluent
    result = check_compatibility([{"enum": ["a", "b"]}, {"const": "a"}], "FULL")
    assert {(c.kind, c.direction) for c in result.breaking} == {
        ("TYPE_CHANGED", "backward"), ("TYPE_CHANGED", "forward")
    }


def test_a_required_name_without_a_property_schema_is_NOT_COMPARED() -> None:
    # ObjectSchemaDiff only checks required names that appear under properties
    old = {"type": "object", "properties": {"a": STR}}
    new = {"type": "object", "properties": {"a": STR}, "required": ["x"]}
    result = check_compatibility([old, new], "BACKWARD")
    assert result.compatible
    [note] = result.changes
    assert (note.kind, note.path, note.breaking) == (NOT_COMPARED, "#/required", False)
    assert 'from [] in v1 to ["x"] in v2' in note.message


def test_open_content_model_messages_name_the_7x_kind_too() -> None:
    result = check_compatibility([{"type": "object"}, {"type": "object", "properties": {"a": STR}}])
    [change] = result.breaking
    assert change.kind == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    assert "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in change.message.split("7.x: ")[1]


def test_adding_an_enum_to_a_typed_schema_is_TYPE_CHANGED_and_removing_it_PRODUCT_TYPE_NARROWED(
) -> None:
    # string -> allOf[string, enum]: Confluent's special cases only cover anyOf/oneOf updates
    typed_enum = {"type": "string", "enum": ["a", "b"]}
    added = check_compatibility([STR, typed_enum], "BACKWARD")
    assert kinds(added) == {("TYPE_CHANGED", "#")} and not added.compatible
    # allOf[string, enum] -> string: one allOf member is compatible with the update
    removed = check_compatibility([typed_enum, STR], "BACKWARD")
    assert kinds(removed) == {("PRODUCT_TYPE_NARROWED", "#")} and removed.compatible


def test_a_closed_order_accepted_under_full_transitive_cannot_gain_an_optional_property() -> None:
    """Why the reference contracts are partially open: closed, FULL_TRANSITIVE is frozen."""
    v1 = load(CONTRACTS / "schemas" / "order.accepted" / "v1.json")
    v1["additionalProperties"] = False
    v2 = copy.deepcopy(v1)
    v2["$id"] = "urn:accord:schemas:order.accepted:v2"
    v2["properties"]["note"] = {"type": "string"}
    assert check_compatibility([v1, v2], "BACKWARD").compatible
    full = check_compatibility([v1, v2], "FULL_TRANSITIVE")
    assert [(c.kind, c.path, c.direction) for c in full.breaking] == [
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/note", "forward")
    ]


@pytest.mark.parametrize(
    ("added", "breaks"),
    [
        ({"type": "string", "description": "a note"}, []),  # what the catch-all allows: fine
        ({"type": "integer"}, [
            ("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "backward"),
            ("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "forward"),
            ("TYPE_CHANGED", "backward"), ("TYPE_CHANGED", "forward"),
        ]),
        ({"type": "string", "maxLength": 3}, [("MAX_LENGTH_ADDED", "backward"), (
            "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "backward")]),
    ],
)
def test_the_partially_open_order_accepted_gains_exactly_what_its_catch_all_covers(
    added: dict[str, Any], breaks: list[tuple[str, str]]
) -> None:
    """FULL needs the new property's schema to equal additionalProperties' (both directions)."""
    v1 = load(CONTRACTS / "schemas" / "order.accepted" / "v1.json")
    assert v1["additionalProperties"] == {"type": "string"}
    v2 = copy.deepcopy(v1)
    v2["$id"] = "urn:accord:schemas:order.accepted:v2"
    v2["properties"]["note"] = added
    full = check_compatibility([v1, v2], "FULL_TRANSITIVE")
    assert sorted((c.kind, c.direction) for c in full.breaking) == sorted(breaks)
    assert full.compatible is (not breaks)


def test_adding_type_to_a_keyword_only_schema_is_NOT_COMPARED() -> None:
    # {"minLength": 1} lets non-strings through; Confluent sees two equal StringSchemas
    result = check_compatibility([{"minLength": 1}, {"type": "string", "minLength": 1}])
    assert result.compatible
    [note] = result.changes
    assert (note.kind, note.path) == (NOT_COMPARED, "#/type")
    assert "'type: string' changed from (absent) in v1 to required in v2" in note.message
