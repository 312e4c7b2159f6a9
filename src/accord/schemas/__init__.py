"""Event contracts: JSON Schemas per event type and version, and fast CloudEvent validation.

:class:`SchemaRegistry` loads a contracts directory (``schemas/<type>/vN.json`` and
``compatibility.toml``) and validates whole structured CloudEvents, envelope and data;
:func:`export_tansu_registry` writes the schemas in the layout Tansu's embedded schema
registry reads, so the broker itself rejects invalid records. Hypothesis strategies that
generate valid events live in :mod:`accord.schemas.strategies` (needs the ``test`` extra).
"""

from __future__ import annotations

from accord.schemas._registry import (
    DEFAULT_MODE,
    MODES,
    SchemaRegistry,
    dataschema_uri,
    parse_dataschema,
)
from accord.schemas._tansu import TOPIC_EVENT_TYPES, export_tansu_registry, to_tansu_schema
from accord.schemas._violations import SchemaViolation, SchemaViolationError

__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "TOPIC_EVENT_TYPES",
    "SchemaRegistry",
    "SchemaViolation",
    "SchemaViolationError",
    "dataschema_uri",
    "export_tansu_registry",
    "parse_dataschema",
    "to_tansu_schema",
]
