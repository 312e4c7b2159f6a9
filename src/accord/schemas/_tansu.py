"""Export the event schemas for Tansu's embedded schema registry (broker-side enforcement).

What Tansu 0.6 does (read from its source, ``tansu-schema/src/json.rs``, and checked by
``tests/integration/schemas/test_tansu_enforcement.py``):

- ``--schema-registry file://DIR`` holds one ``<topic>.json`` per topic. Tansu compiles the
  sub-schemas ``properties.key`` and ``properties.value`` of that document with the Rust
  ``jsonschema`` crate (0.45) and rejects a produced record whose key or value is not JSON or
  does not validate, with the error ``INVALID_RECORD``. A sub-schema that fails to compile is
  dropped *silently*, which is why accord compiles what it exports first.
- The draft is taken from ``$schema``. Under 2020-12 ``format`` is only an annotation, so
  ``uuid``, ``email`` and ``date-time`` would not be checked at all; under draft-07 the crate
  asserts ``email`` and ``date-time`` but does not know ``uuid``.

So the export, per topic, takes every version of the topic's event type and rewrites it as a
self-contained draft-07 schema: ``$ref`` inlined (``$defs``/``$id`` dropped), ``format: uuid``
doubled by the equivalent ``pattern``, ``prefixItems``/``dependentRequired``/
``dependentSchemas`` translated to their draft-07 spellings; keywords draft-07 has no
equivalent for (``unevaluatedProperties``, ``$dynamicRef``, ``minContains``, ...) are refused
rather than silently dropped. With several versions the value schema is their ``anyOf``: a
producer may still write any registered version (Confluent's broker-side validation accepts
any schema registered under the subject). Only the value is constrained: record keys are the
plain order id, not JSON, and the CloudEvents attributes travel in headers, which Tansu does
not validate (``accord schema validate kafka://...`` checks them).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs

from accord.errors import UsageError
from accord.schemas._registry import SchemaRegistry

__all__ = ["TOPIC_EVENT_TYPES", "export_tansu_registry", "to_tansu_schema"]

#: Which event type each topic of the reference system carries. DLQ topics get no schema:
#: a dead letter is by definition a record that may not match.
TOPIC_EVENT_TYPES: Mapping[str, str] = {
    "order": "order.accepted",
    "delivery": "delivery.created",
    "invoice": "invoice.created",
}

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: What the 2020-12 ``uuid`` format accepts (jsonschema-rs): hyphenated hex, any case.
UUID_PATTERN = (
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
_SCHEMA = ("additionalProperties", "additionalItems", "contains", "propertyNames", "not",
           "if", "then", "else", "contentSchema")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAP = ("properties", "patternProperties", "dependencies")
_DROPPED = ("$schema", "$id", "$defs", "definitions", "$anchor", "$vocabulary")
_REFUSED = ("unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$dynamicAnchor",
            "$recursiveRef", "$recursiveAnchor", "minContains", "maxContains")


def to_tansu_schema(schema: Mapping[str, Any], where: str = "schema") -> dict[str, Any]:
    """Rewrite one 2020-12 event schema as a self-contained draft-07 schema Tansu asserts.

    Args:
        schema: a JSON Schema 2020-12 document (local ``$ref`` only).
        where: names the schema in error messages.

    Raises:
        UsageError: when the schema is recursive or uses a keyword draft-07 cannot express.
    """
    try:
        inlined = jsonschema_rs.dereference(copy.deepcopy(dict(schema)))
    except (jsonschema_rs.ReferencingError, ValueError) as exc:
        raise UsageError(f"{where}: cannot inline its $ref for Tansu ({exc})") from None
    result = _rewrite(inlined, where, "")
    assert isinstance(result, dict)
    return {"$schema": DRAFT_07, **result}


def _rewrite(node: Any, where: str, pointer: str) -> Any:
    if not isinstance(node, dict):
        return node  # true/false schemas
    out: dict[str, Any] = {}
    for keyword, value in node.items():
        here = f"{pointer}/{keyword}"
        if keyword in _DROPPED:
            continue
        if keyword in _REFUSED or keyword == "$ref":
            what = "a recursive $ref" if keyword == "$ref" else f"{keyword!r}"
            raise UsageError(
                f"{where}: {here}: {what} cannot be expressed in draft-07 for Tansu's schema "
                "registry; simplify the schema or run the broker without --enforce-schemas"
            )
        if keyword in _SCHEMA:
            out[keyword] = _rewrite(value, where, here)
        elif keyword in _SCHEMA_LIST:
            out[keyword] = [_rewrite(v, where, f"{here}/{i}") for i, v in enumerate(value)]
        elif keyword in _SCHEMA_MAP:
            out[keyword] = {
                name: _rewrite(v, where, f"{here}/{name}") if isinstance(v, dict | bool) else v
                for name, v in value.items()
            }
        elif keyword == "items":
            out[keyword] = _rewrite(value, where, here)
        else:
            out[keyword] = value
    if "prefixItems" in out:
        prefix = [_rewrite(v, where, f"{pointer}/prefixItems/{i}")
                  for i, v in enumerate(out.pop("prefixItems"))]
        if "items" in out:
            out["additionalItems"] = out.pop("items")
        out["items"] = prefix
    for keyword in ("dependentRequired", "dependentSchemas"):
        if keyword in out:
            merged = out.setdefault("dependencies", {})
            for name, v in out.pop(keyword).items():
                merged[name] = _rewrite(v, where, f"{pointer}/{keyword}/{name}")
    if out.get("format") == "uuid":
        if "pattern" in out:
            out.setdefault("allOf", []).append({"pattern": UUID_PATTERN})
        else:
            out["pattern"] = UUID_PATTERN
    return out


def export_tansu_registry(
    contracts_dir: str | Path,
    out_dir: str | Path,
    topics: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<topic>.json`` for each topic, the layout Tansu's registry reads.

    Start the broker with ``EmbeddedBroker(schema_registry=out_dir)`` (or
    ``accord broker start --enforce-schemas``) and it rejects records whose value is not a
    valid payload of the topic's event type.

    Args:
        contracts_dir: the contracts directory (``schemas/<type>/vN.json``) or an AsyncAPI 3
            document.
        out_dir: where to write; created if missing.
        topics: ``{topic: event_type}``; by default the channels of an AsyncAPI document,
            else :data:`TOPIC_EVENT_TYPES`.

    Returns:
        The files written, one per topic.

    Raises:
        UsageError: when the contracts cannot be loaded, a topic's type has no schema, or a
            schema cannot be expressed for Tansu.
    """
    registry = SchemaRegistry.load(contracts_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    chosen: dict[str, tuple[str, ...]] = (
        {t: (e,) for t, e in topics.items()} if topics is not None
        else registry.topics or {t: (e,) for t, e in TOPIC_EVENT_TYPES.items()}
    )
    for topic, event_types in chosen.items():
        versions = []
        for event_type in event_types:
            if event_type not in registry.types:
                raise UsageError(
                    f"{contracts_dir}: topic {topic!r} carries {event_type!r}, which has no "
                    f"schema (known: {', '.join(registry.types)})"
                )
            for version in registry.versions(event_type):
                where = str(registry.path(event_type, version) or f"{event_type} v{version}")
                converted = to_tansu_schema(registry.schema(event_type, version), where)
                _compiles(converted, where)
                versions.append(converted)
        event_type = ", ".join(event_types)
        if len(versions) == 1:
            value = versions[0]
        else:
            value = {"$schema": DRAFT_07,
                     "anyOf": [{k: v for k, v in s.items() if k != "$schema"} for s in versions]}
        document = {
            "$comment": (
                f"Generated by accord from the schemas of {event_type} "
                f"({len(versions)} version{'s' if len(versions) != 1 else ''}); do not edit."
            ),
            "title": f"topic {topic}: {event_type}",
            "type": "object",
            "properties": {"value": value},
        }
        path = out / f"{topic}.json"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _compiles(schema: dict[str, Any], where: str) -> None:
    # Tansu drops a value schema that does not compile and then accepts everything: refuse.
    try:
        jsonschema_rs.Draft7Validator(schema, validate_formats=True)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        raise UsageError(f"{where}: the draft-07 form for Tansu does not compile ({exc})") from None
