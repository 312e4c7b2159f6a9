"""The kinds of difference (Confluent's ``Difference.Type``) and which of them are compatible.

Names are those of ``io.confluent.kafka.schemaregistry.json.diff.Difference.Type`` (8.x).
``COMPATIBLE`` is Confluent's default STRICT policy, ``SchemaDiff.COMPATIBLE_CHANGES``; the
``UNEVALUATED_*`` and ``*_CONTAINS_*`` entries are not in the STRICT list we could read and
are inferred from the error templates of ``Difference`` (which name only the incompatible ones).
``NOT_COMPARED`` is accord's own: a keyword that changed but that Confluent never compares.
"""

from __future__ import annotations

from accord.errors import UsageError

__all__ = [
    "ALL_KINDS",
    "COMPATIBLE",
    "LENIENT",
    "LENIENT_ONLY",
    "NOT_COMPARED",
    "POLICIES",
    "compatible_kinds",
    "describe",
]

NOT_COMPARED = "NOT_COMPARED"

ALL_KINDS: tuple[str, ...] = (
    "ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED",
    "SCHEMA_ADDED", "SCHEMA_REMOVED", "TYPE_EXTENDED", "TYPE_NARROWED", "TYPE_CHANGED",
    "MAX_LENGTH_ADDED", "MAX_LENGTH_REMOVED", "MAX_LENGTH_INCREASED", "MAX_LENGTH_DECREASED",
    "MIN_LENGTH_ADDED", "MIN_LENGTH_REMOVED", "MIN_LENGTH_INCREASED", "MIN_LENGTH_DECREASED",
    "PATTERN_ADDED", "PATTERN_REMOVED", "PATTERN_CHANGED",
    "MAXIMUM_ADDED", "MAXIMUM_REMOVED", "MAXIMUM_INCREASED", "MAXIMUM_DECREASED",
    "MINIMUM_ADDED", "MINIMUM_REMOVED", "MINIMUM_INCREASED", "MINIMUM_DECREASED",
    "EXCLUSIVE_MAXIMUM_ADDED", "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_DECREASED", "EXCLUSIVE_MINIMUM_ADDED", "EXCLUSIVE_MINIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_INCREASED", "EXCLUSIVE_MINIMUM_DECREASED",
    "MULTIPLE_OF_ADDED", "MULTIPLE_OF_REMOVED", "MULTIPLE_OF_EXPANDED", "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_CHANGED",
    "REQUIRED_ATTRIBUTE_ADDED", "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "MAX_PROPERTIES_ADDED", "MAX_PROPERTIES_REMOVED", "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_DECREASED", "MIN_PROPERTIES_ADDED", "MIN_PROPERTIES_REMOVED",
    "MIN_PROPERTIES_INCREASED", "MIN_PROPERTIES_DECREASED",
    "ADDITIONAL_PROPERTIES_ADDED", "ADDITIONAL_PROPERTIES_REMOVED",
    "ADDITIONAL_PROPERTIES_EXTENDED", "ADDITIONAL_PROPERTIES_NARROWED",
    "DEPENDENCY_ARRAY_ADDED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_ARRAY_EXTENDED",
    "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_CHANGED",
    "DEPENDENCY_SCHEMA_ADDED", "DEPENDENCY_SCHEMA_REMOVED",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_REMOVED",
    "UNEVALUATED_PROPERTIES_EXTENDED", "UNEVALUATED_PROPERTIES_NARROWED",
    "MAX_ITEMS_ADDED", "MAX_ITEMS_REMOVED", "MAX_ITEMS_INCREASED", "MAX_ITEMS_DECREASED",
    "MIN_ITEMS_ADDED", "MIN_ITEMS_REMOVED", "MIN_ITEMS_INCREASED", "MIN_ITEMS_DECREASED",
    "MAX_CONTAINS_ADDED", "MAX_CONTAINS_REMOVED", "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_DECREASED", "MIN_CONTAINS_ADDED", "MIN_CONTAINS_REMOVED",
    "MIN_CONTAINS_INCREASED", "MIN_CONTAINS_DECREASED",
    "UNIQUE_ITEMS_ADDED", "UNIQUE_ITEMS_REMOVED",
    "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_REMOVED", "ADDITIONAL_ITEMS_EXTENDED",
    "ADDITIONAL_ITEMS_NARROWED",
    "UNEVALUATED_ITEMS_ADDED", "UNEVALUATED_ITEMS_REMOVED", "UNEVALUATED_ITEMS_EXTENDED",
    "UNEVALUATED_ITEMS_NARROWED",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED", "ENUM_ARRAY_NARROWED", "ENUM_ARRAY_CHANGED",
    "COMBINED_TYPE_EXTENDED", "COMBINED_TYPE_CHANGED",
    "PRODUCT_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED", "SUM_TYPE_NARROWED",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    "NOT_TYPE_EXTENDED", "NOT_TYPE_NARROWED",
    NOT_COMPARED,
)

#: Confluent's STRICT ``COMPATIBLE_CHANGES`` (+ inferred unevaluated/contains, + NOT_COMPARED)
COMPATIBLE: frozenset[str] = frozenset({
    "ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED", "SCHEMA_REMOVED",
    "TYPE_EXTENDED",
    "MAX_LENGTH_INCREASED", "MAX_LENGTH_REMOVED", "MIN_LENGTH_DECREASED", "MIN_LENGTH_REMOVED",
    "PATTERN_REMOVED",
    "MAXIMUM_INCREASED", "MAXIMUM_REMOVED", "MINIMUM_DECREASED", "MINIMUM_REMOVED",
    "EXCLUSIVE_MAXIMUM_INCREASED", "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED", "MULTIPLE_OF_REDUCED", "MULTIPLE_OF_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_ATTRIBUTE_REMOVED",
    "DEPENDENCY_ARRAY_NARROWED", "DEPENDENCY_ARRAY_REMOVED", "DEPENDENCY_SCHEMA_REMOVED",
    "MAX_PROPERTIES_INCREASED", "MAX_PROPERTIES_REMOVED", "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED", "ADDITIONAL_PROPERTIES_ADDED", "ADDITIONAL_PROPERTIES_EXTENDED",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAX_ITEMS_INCREASED", "MAX_ITEMS_REMOVED", "MIN_ITEMS_DECREASED", "MIN_ITEMS_REMOVED",
    "UNIQUE_ITEMS_REMOVED", "ADDITIONAL_ITEMS_ADDED", "ADDITIONAL_ITEMS_EXTENDED",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ENUM_ARRAY_EXTENDED",
    "COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED", "SUM_TYPE_EXTENDED", "NOT_TYPE_NARROWED",
    # inferred (see module docstring)
    "UNEVALUATED_PROPERTIES_ADDED", "UNEVALUATED_PROPERTIES_EXTENDED",
    "UNEVALUATED_ITEMS_ADDED", "UNEVALUATED_ITEMS_EXTENDED",
    "MAX_CONTAINS_INCREASED", "MAX_CONTAINS_REMOVED",
    "MIN_CONTAINS_DECREASED", "MIN_CONTAINS_REMOVED",
    NOT_COMPARED,
})

#: What Confluent's LENIENT ``compatibilityPolicy`` accepts on top of STRICT
#: (``SchemaDiff.COMPATIBLE_CHANGES_LENIENT``). Confluent lists the 7.x kind
#: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL; of its 8.x split, accord takes the optional and the
#: with-default kinds (a required property without default is missing from old data whatever
#: the policy). PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL is in both lists.
LENIENT_ONLY: frozenset[str] = frozenset({
    "ADDITIONAL_PROPERTIES_NARROWED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
})
LENIENT: frozenset[str] = COMPATIBLE | LENIENT_ONLY

#: ``--policy`` name -> the kinds it accepts. ``strict`` is Confluent's default.
POLICIES: dict[str, frozenset[str]] = {"strict": COMPATIBLE, "lenient": LENIENT}


def compatible_kinds(policy: str) -> frozenset[str]:
    """The kinds a policy (``strict`` or ``lenient``, any case) accepts."""
    kinds = POLICIES.get(policy.strip().lower())
    if kinds is None:
        raise UsageError(f"unknown policy {policy!r}; use strict or lenient")
    return kinds


# {new}/{old}: the schema on each side of this comparison ("new"/"old" for the BACKWARD check,
# swapped for FORWARD, where Confluent diffs the new schema as the original).
_TEMPLATES: dict[str, str] = {
    "TYPE_CHANGED": "the type differs between the {orig} and the {upd} schema",
    "TYPE_NARROWED": "the {upd} schema accepts integers only where the {orig} accepted any number",
    "TYPE_EXTENDED": "the {upd} schema accepts any number where the {orig} accepted integers",
    "SCHEMA_ADDED": "the {upd} schema has a schema here that the {orig} schema lacks",
    "SCHEMA_REMOVED": "the {upd} schema lacks a schema the {orig} schema has here",
    "ENUM_ARRAY_NARROWED": "the {upd} schema allows fewer enum values than the {orig}",
    "ENUM_ARRAY_EXTENDED": "the {upd} schema allows more enum values than the {orig}",
    "ENUM_ARRAY_CHANGED": "the allowed values (enum/const) differ between the {orig} and the "
    "{upd} schema",
    "COMBINED_TYPE_CHANGED": "the combination keyword (allOf/anyOf/oneOf) changed from the "
    "{orig} to the {upd} schema",
    "COMBINED_TYPE_EXTENDED": "the combination keyword was relaxed (e.g. to anyOf) in the {upd} "
    "schema",
    "PRODUCT_TYPE_EXTENDED": "the {upd} schema's allOf has more subschemas than the {orig}",
    "PRODUCT_TYPE_NARROWED": "the {upd} schema's allOf has fewer subschemas than the {orig}",
    "SUM_TYPE_EXTENDED": "the {upd} schema's anyOf/oneOf offers more alternatives than the {orig}",
    "SUM_TYPE_NARROWED": "the {upd} schema's anyOf/oneOf offers fewer alternatives than the "
    "{orig}",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "no compatible pairing of the {orig} schema's subschemas "
    "with the {upd} schema's",
    "NOT_TYPE_EXTENDED": "the {upd} schema's 'not' excludes more than the {orig}",
    "NOT_TYPE_NARROWED": "the {upd} schema's 'not' excludes less than the {orig}",
    "REQUIRED_ATTRIBUTE_ADDED": "the property is required in the {upd} schema but optional in "
    "the {orig}, and has no default",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED": "the property became required in the {upd} schema "
    "and has a default",
    "REQUIRED_ATTRIBUTE_REMOVED": "the property is no longer required in the {upd} schema",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "the {orig} schema has an open content "
    "model and the {upd} schema adds this required property",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": "the {orig} schema has an open "
    "content model and the {upd} schema adds this required property (with a default)",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "the {orig} schema has an open content "
    "model (no additionalProperties: false) and the {upd} schema adds this property, which "
    "data valid under the {orig} schema may hold with any value",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": "the {upd} schema adds a property "
    "with an empty schema to an open content model",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "the {upd} schema adds this required "
    "property (no default) to a closed or partially open content model; data of the {orig} "
    "schema lacks it",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL": "the {upd} schema adds a "
    "required property with a default to a closed content model",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "the {upd} schema adds an optional "
    "property to a closed content model",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL": "the {upd} schema drops this property and has an "
    "open content model",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the {upd} schema drops a property "
    "whose schema was false",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the {upd} schema has a closed content model "
    "and drops this property, which data of the {orig} schema may hold",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema drops this "
    "property but its additionalProperties/patternProperties still accept it",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema drops this "
    "property and its additionalProperties/patternProperties do not accept the {orig} values",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema adds this "
    "property within what the {orig} schema's additionalProperties/patternProperties allowed",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema adds this "
    "property, narrower than the {orig} schema's additionalProperties/patternProperties",
    "ADDITIONAL_PROPERTIES_ADDED": "the {upd} schema allows additional properties",
    "ADDITIONAL_PROPERTIES_REMOVED": "the {upd} schema forbids additional properties the {orig} "
    "allowed",
    "ADDITIONAL_PROPERTIES_EXTENDED": "the {upd} schema drops the additionalProperties schema",
    "ADDITIONAL_PROPERTIES_NARROWED": "the {upd} schema adds an additionalProperties schema",
    "UNEVALUATED_PROPERTIES_ADDED": "the {upd} schema allows unevaluated properties",
    "UNEVALUATED_PROPERTIES_REMOVED": "the {upd} schema forbids unevaluated properties",
    "UNEVALUATED_PROPERTIES_EXTENDED": "the {upd} schema relaxes unevaluatedProperties",
    "UNEVALUATED_PROPERTIES_NARROWED": "the {upd} schema restricts unevaluatedProperties",
    "UNEVALUATED_ITEMS_ADDED": "the {upd} schema allows unevaluated items",
    "UNEVALUATED_ITEMS_REMOVED": "the {upd} schema forbids unevaluated items",
    "UNEVALUATED_ITEMS_EXTENDED": "the {upd} schema relaxes unevaluatedItems",
    "UNEVALUATED_ITEMS_NARROWED": "the {upd} schema restricts unevaluatedItems",
    "DEPENDENCY_ARRAY_ADDED": "the {upd} schema adds a property dependency",
    "DEPENDENCY_ARRAY_REMOVED": "the {upd} schema drops a property dependency",
    "DEPENDENCY_ARRAY_EXTENDED": "the {upd} schema's property dependency lists more properties",
    "DEPENDENCY_ARRAY_NARROWED": "the {upd} schema's property dependency lists fewer properties",
    "DEPENDENCY_ARRAY_CHANGED": "the property dependency differs between the {orig} and the "
    "{upd} schema",
    "DEPENDENCY_SCHEMA_ADDED": "the {upd} schema adds a schema dependency",
    "DEPENDENCY_SCHEMA_REMOVED": "the {upd} schema drops a schema dependency",
    "ADDITIONAL_ITEMS_ADDED": "the {upd} schema allows additional items",
    "ADDITIONAL_ITEMS_REMOVED": "the {upd} schema forbids additional items the {orig} allowed",
    "ADDITIONAL_ITEMS_EXTENDED": "the {upd} schema drops the schema of additional items",
    "ADDITIONAL_ITEMS_NARROWED": "the {upd} schema adds a schema for additional items",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "the {upd} schema adds a tuple item to an open tuple; "
    "data of the {orig} schema may hold anything there",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": "the {upd} schema adds a tuple item "
    "with an empty schema",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL": "the {upd} schema adds a tuple item to a closed tuple",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL": "the {upd} schema drops a tuple item and its tuple "
    "is open",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the {upd} schema drops a tuple item "
    "whose schema was false",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "the {upd} schema has a closed tuple and drops "
    "this item, which data of the {orig} schema may hold",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema drops this "
    "tuple item but its additional items schema still accepts it",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema drops this "
    "tuple item and its additional items schema does not accept the {orig} values",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema adds a tuple item "
    "within the {orig} schema's additional items schema",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "the {upd} schema adds a tuple "
    "item narrower than the {orig} schema's additional items schema",
    "UNIQUE_ITEMS_ADDED": "the {upd} schema requires unique items",
    "UNIQUE_ITEMS_REMOVED": "the {upd} schema no longer requires unique items",
    "ID_CHANGED": "$id changed",
    "TITLE_CHANGED": "title changed",
    "DESCRIPTION_CHANGED": "description changed",
    "DEFAULT_CHANGED": "default changed",
}

_BOUNDS = {
    "MAX_LENGTH": "maxLength", "MIN_LENGTH": "minLength", "MAXIMUM": "maximum",
    "MINIMUM": "minimum", "EXCLUSIVE_MAXIMUM": "exclusiveMaximum",
    "EXCLUSIVE_MINIMUM": "exclusiveMinimum", "MAX_PROPERTIES": "maxProperties",
    "MIN_PROPERTIES": "minProperties", "MAX_ITEMS": "maxItems", "MIN_ITEMS": "minItems",
    "MAX_CONTAINS": "maxContains", "MIN_CONTAINS": "minContains", "PATTERN": "pattern",
    "MULTIPLE_OF": "multipleOf",
}

_VERBS = {
    "ADDED": "adds {kw}", "REMOVED": "drops {kw}", "INCREASED": "raises {kw}",
    "DECREASED": "lowers {kw}", "CHANGED": "changes {kw}",
    "EXPANDED": "changes {kw} to a multiple of the old value (fewer values pass)",
    "REDUCED": "changes {kw} to a divisor of the old value (more values pass)",
}


#: Confluent 7.x reported these three as the one PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
_SPLIT_IN_8X = frozenset({
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
})


def describe(kind: str, orig: str, upd: str) -> str:
    """One sentence saying what a difference of this kind means, with the sides named."""
    template = _TEMPLATES.get(kind)
    if template is None:
        for prefix, keyword in _BOUNDS.items():
            if kind.startswith(prefix + "_"):
                verb = kind[len(prefix) + 1:]
                if verb in _VERBS:
                    template = "the {upd} schema " + _VERBS[verb].format(kw=keyword)
                    break
    if template is None:
        template = kind.lower().replace("_", " ")
    text = template.format(orig=orig, upd=upd)
    if kind in _SPLIT_IN_8X:
        text += " (Confluent 7.x: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL)"
    return text
