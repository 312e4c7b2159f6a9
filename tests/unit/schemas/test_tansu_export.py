"""The export for Tansu's schema registry: layout, draft-07 rewrite, and what it still rejects.

The exported value schemas are compiled here with jsonschema-rs's draft-07 validator, the
Python binding of the Rust crate Tansu uses; tests/integration/schemas checks Tansu itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from accord.errors import UsageError
from accord.schemas import (
    TOPIC_EVENT_TYPES,
    SchemaRegistry,
    export_tansu_registry,
    to_tansu_schema,
)
from accord.schemas._tansu import DRAFT_07, UUID_PATTERN

pytestmark = pytest.mark.unit


def value_validator(path: Path) -> Any:
    document = json.loads(path.read_text())
    assert document["type"] == "object"
    assert set(document["properties"]) == {"value"}  # keys are plain ids, not JSON
    return jsonschema_rs.validator_for(document["properties"]["value"], validate_formats=None)


def test_one_file_per_topic(tmp_path: Path, contracts_dir: Path) -> None:
    written = export_tansu_registry(contracts_dir, tmp_path / "registry")
    assert sorted(p.name for p in written) == ["delivery.json", "invoice.json", "order.json"]
    assert sorted(p.name for p in (tmp_path / "registry").iterdir()) == sorted(
        p.name for p in written
    )
    assert dict(TOPIC_EVENT_TYPES) == {
        "order": "order.accepted", "delivery": "delivery.created", "invoice": "invoice.created"
    }


def test_export_is_self_contained_draft_07(tmp_path: Path, contracts_dir: Path) -> None:
    for path in export_tansu_registry(contracts_dir, tmp_path):
        value = json.loads(path.read_text())["properties"]["value"]
        text = json.dumps(value)
        assert value["$schema"] == DRAFT_07
        assert "$ref" not in text and "$defs" not in text and "$id" not in text
        assert UUID_PATTERN in text


@pytest.mark.parametrize("event_type", sorted(TOPIC_EVENT_TYPES.values()))
def test_valid_data_passes_the_exported_schema(
    tmp_path: Path, contracts_dir: Path, event_type: str
) -> None:
    import random

    from accord.schemas._samples import sample_data

    topic = {v: k for k, v in TOPIC_EVENT_TYPES.items()}[event_type]
    export_tansu_registry(contracts_dir, tmp_path)
    validator = value_validator(tmp_path / f"{topic}.json")
    rng = random.Random(7)
    for _ in range(50):
        assert validator.is_valid(sample_data(event_type, rng))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["lines"][0]["item"].__setitem__("price", 12.5), id="price-number"),
        pytest.param(lambda d: d.pop("total"), id="missing-total"),
        pytest.param(lambda d: d.__setitem__("extra", 1), id="extra-property"),
        pytest.param(lambda d: d.__setitem__("orderId", "order-1"), id="uuid-format"),
        pytest.param(lambda d: d["customer"].__setitem__("email", "ada"), id="email-format"),
        pytest.param(lambda d: d.__setitem__("acceptedAt", "yesterday"), id="date-time-format"),
    ],
)
def test_invalid_order_data_fails_the_exported_schema(
    tmp_path: Path, contracts_dir: Path, order_event: dict[str, Any], mutate: Any
) -> None:
    export_tansu_registry(contracts_dir, tmp_path)
    validator = value_validator(tmp_path / "order.json")
    data = order_event["data"]
    assert validator.is_valid(data)
    mutate(data)
    assert not validator.is_valid(data)


def test_several_versions_are_any_of(tmp_path: Path) -> None:
    folder = tmp_path / "c" / "schemas" / "order.accepted"
    folder.mkdir(parents=True)
    v1 = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}},
          "additionalProperties": False}
    v2 = {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}},
          "additionalProperties": False}
    (folder / "v1.json").write_text(json.dumps(v1))
    (folder / "v2.json").write_text(json.dumps(v2))
    [path] = export_tansu_registry(tmp_path / "c", tmp_path / "out", {"order": "order.accepted"})
    validator = value_validator(path)
    assert validator.is_valid({"a": "x"}) and validator.is_valid({"b": 1})
    assert not validator.is_valid({"a": 1}) and not validator.is_valid({"c": 1})
    assert len(json.loads(path.read_text())["properties"]["value"]["anyOf"]) == 2


def test_a_topic_whose_type_has_no_schema(tmp_path: Path, contracts_dir: Path) -> None:
    with pytest.raises(UsageError, match=r"topic 'payment' carries 'payment.taken', which has"):
        export_tansu_registry(contracts_dir, tmp_path, {"payment": "payment.taken"})


def test_2020_12_keywords_are_translated() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                     "items": False},
            "id": {"type": "string", "format": "uuid", "pattern": "^[0-9a-f-]+$"},
        },
        "dependentRequired": {"a": ["b"]},
        "dependentSchemas": {"c": {"required": ["d"]}},
    }
    converted = to_tansu_schema(schema)
    pair = converted["properties"]["pair"]
    assert pair["items"] == [{"type": "string"}, {"type": "integer"}]
    assert pair["additionalItems"] is False
    assert converted["dependencies"] == {"a": ["b"], "c": {"required": ["d"]}}
    assert converted["properties"]["id"]["allOf"] == [{"pattern": UUID_PATTERN}]
    validator = jsonschema_rs.Draft7Validator(converted)
    assert validator.is_valid({"pair": ["x", 1]})
    assert not validator.is_valid({"pair": ["x", 1, 2]})
    assert not validator.is_valid({"a": 1})
    assert not validator.is_valid({"c": 1})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "unevaluatedProperties": False},
        {"type": "array", "contains": {"type": "string"}, "minContains": 2},
        {"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
         "$ref": "#/$defs/node"},
    ],
)
def test_what_draft_07_cannot_express_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match=r"cannot be expressed in draft-07 for Tansu"):
        to_tansu_schema(schema, "x.json")


def test_the_registry_and_the_export_agree_on_the_reference_events(
    tmp_path: Path, registry: SchemaRegistry
) -> None:
    import random

    from accord.schemas._samples import sample_event

    rng = random.Random(3)
    for topic, event_type in TOPIC_EVENT_TYPES.items():
        converted = to_tansu_schema(registry.schema(event_type))
        validator = jsonschema_rs.Draft7Validator(converted, validate_formats=True)
        for _ in range(20):
            event = sample_event(event_type, rng)
            assert registry.is_valid(event) and validator.is_valid(event["data"]), topic
