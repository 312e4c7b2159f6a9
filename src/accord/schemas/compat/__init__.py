"""Schema evolution checks with Confluent Schema Registry's JSON Schema rules.

``check_compatibility([v1, v2, ...], mode)`` answers what Confluent Schema Registry would
answer when ``v...`` is registered after the others under that compatibility level, and lists
every difference by Confluent's own names (``Difference.Type``). See ``docs/schema-compat.md``.
"""

from __future__ import annotations

from accord.schemas.compat._check import (
    MODES,
    Change,
    CompatResult,
    TypeReport,
    check_compatibility,
    check_contracts,
    load_schema_file,
)
from accord.schemas.compat._kinds import (
    ALL_KINDS,
    COMPATIBLE,
    LENIENT,
    LENIENT_ONLY,
    NOT_COMPARED,
    POLICIES,
)
from accord.schemas.compat._model import SchemaLoadError

__all__ = [
    "ALL_KINDS",
    "COMPATIBLE",
    "LENIENT",
    "LENIENT_ONLY",
    "MODES",
    "NOT_COMPARED",
    "POLICIES",
    "Change",
    "CompatResult",
    "SchemaLoadError",
    "TypeReport",
    "check_compatibility",
    "check_contracts",
    "load_schema_file",
]
