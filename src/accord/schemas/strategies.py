"""Hypothesis strategies that generate valid events of each type, for fuzzing consumers.

Needs the ``test`` extra (``hypothesis`` and ``hypothesis-jsonschema``); they are imported
when a strategy is built, so importing this module costs nothing.

Example::

    from hypothesis import given
    from accord.schemas import SchemaRegistry
    from accord.schemas.strategies import events

    registry = SchemaRegistry.from_directory("contracts")

    @given(events(registry, "order.accepted"))
    def test_shipping_handles_any_valid_order(event):
        handle(event)  # must not raise, must not dead-letter

The data comes from ``hypothesis-jsonschema`` with the type's schema, with the formats the
schemas use generated so that they pass accord's own validation (``uuid`` and ``email``
from patterns, ``date-time`` by hypothesis-jsonschema) and integers kept within
JSON's safe range (|n| <= 2**53 - 1), so every event also survives a trip through Kafka.
The envelope follows the reference system's conventions: ``time`` is the domain time
(``acceptedAt``/``createdAt``) when the data has one, ``partitionkey`` is ``orderId`` when
the data has one, ``dataschema`` names the generated version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from accord.events import CONTENT_TYPE_JSON, KafkaMessage, rfc3339, to_kafka
from accord.schemas._registry import SchemaRegistry, dataschema_uri
from accord.schemas._samples import SOURCES  # the producing service of each reference type

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["SOURCES", "data", "events", "kafka_records"]

#: Data fields that carry the domain time and so become the event's ``time``.
TIME_FIELDS = ("acceptedAt", "createdAt")
#: Data field that carries the partition key.
KEY_FIELD = "orderId"

#: Generation-only stand-ins for formats, as patterns: hypothesis-jsonschema does not know
#: ``uuid`` (it would generate any text) and its ``email`` includes addresses such as
#: ``0@A.XN--11B4C3D`` that jsonschema-rs rejects. Validation keeps the real formats.
_FORMAT_PATTERNS = {
    "uuid": "^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    "email": "^[a-z0-9]{1,16}([._+-][a-z0-9]{1,8})?@[a-z0-9]{1,16}([.-][a-z0-9]{1,8})?"
             "[.](com|org|net|de|example)$",
}


def _for_generation(node: Any) -> Any:
    """The schema hypothesis-jsonschema generates from: formats as patterns (see above), and
    integers within what JSON parsers everywhere round-trip (|n| <= 2**53 - 1).

    A narrower but still valid set: a count of 10**30 is valid JSON Schema but not a
    realistic payload, and Kafka clients' JSON encoders (orjson) refuse beyond 64 bits.
    """
    if isinstance(node, list):
        return [_for_generation(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: value if key in _DATA_KEYWORDS else _for_generation(value)
        for key, value in node.items()
    }
    fmt = out.get("format")
    pattern = _FORMAT_PATTERNS.get(fmt) if isinstance(fmt, str) else None
    if pattern is not None and "pattern" not in out:
        out["pattern"] = pattern
        del out["format"]
    if out.get("type") == "integer":
        out.setdefault("maximum", _SAFE_INTEGER)
        out.setdefault("minimum", -_SAFE_INTEGER)
    return out


# Keywords whose values are data, not schemas: never rewritten.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})
_SAFE_INTEGER = 2**53 - 1


def data(
    registry: SchemaRegistry, event_type: str, version: int | None = None
) -> SearchStrategy[Any]:
    """Valid payloads of one event type (the newest version unless ``version`` is given)."""
    from hypothesis_jsonschema import from_schema

    schema = jsonschema_rs.dereference(registry.schema(event_type, version))
    # Inlined: hypothesis-jsonschema need not resolve the urn: base of $id.
    schema.pop("$defs", None)
    schema.pop("$id", None)
    return from_schema(_for_generation(schema))


def events(
    registry: SchemaRegistry, event_type: str | None = None, version: int | None = None
) -> SearchStrategy[dict[str, Any]]:
    """Valid structured CloudEvents of one type, or of every type when ``event_type`` is None.

    Args:
        registry: where the schemas come from.
        event_type: the type to generate; all of the registry's types by default.
        version: the schema version (the newest by default; only with ``event_type``).
    """
    from hypothesis import strategies as st

    if event_type is None:
        if version is not None:
            raise ValueError("version needs an event_type")
        return st.one_of([events(registry, t) for t in registry.types])
    chosen = registry.latest(event_type) if version is None else version
    source = SOURCES.get(event_type, "/accord/generated")
    payloads = data(registry, event_type, chosen)
    times = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(rfc3339)

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        payload = draw(payloads)
        event_id = str(draw(st.uuids()))
        time = next(
            (payload[f] for f in TIME_FIELDS if isinstance(payload, dict) and f in payload),
            None,
        ) or draw(times)
        key = payload.get(KEY_FIELD) if isinstance(payload, dict) else None
        return {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": event_type,
            "time": time,
            "partitionkey": key if isinstance(key, str) and key else event_id,
            "datacontenttype": CONTENT_TYPE_JSON,
            "dataschema": dataschema_uri(event_type, chosen),
            "data": payload,
        }

    return build()


def kafka_records(
    registry: SchemaRegistry, event_type: str | None = None
) -> SearchStrategy[KafkaMessage]:
    """Valid events as Kafka records in binary content mode (key, value, ``ce_`` headers)."""
    return events(registry, event_type).map(to_kafka)
