"""Loading a contracts directory: schemas, versions, modes, and clear errors for bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from accord.errors import UsageError
from accord.schemas import MODES, SchemaRegistry, dataschema_uri, parse_dataschema

pytestmark = pytest.mark.unit

_MINIMAL = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}


def write_contracts(
    root: Path, schemas: dict[str, dict[str, Any]], toml: str | None = None
) -> Path:
    """Write ``schemas/<type>/<file>`` (file -> JSON value, or raw text) and compatibility.toml."""
    for event_type, files in schemas.items():
        folder = root / "schemas" / event_type
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            (folder / name).write_text(text)
    if toml is not None:
        (root / "compatibility.toml").write_text(toml)
    return root


def test_the_reference_contracts_load(registry: SchemaRegistry) -> None:
    assert registry.types == ("delivery.created", "invoice.created", "order.accepted")
    expected = {"delivery.created": (1,), "invoice.created": (1,), "order.accepted": (1, 2)}
    for event_type in registry.types:
        assert registry.versions(event_type) == expected[event_type]
        latest = expected[event_type][-1]
        assert registry.latest(event_type) == latest
        assert registry.schema(event_type)["$id"] == dataschema_uri(event_type, latest)
        path = registry.path(event_type, latest)
        assert path is not None and path.name == f"v{latest}.json"


def test_modes_come_from_compatibility_toml(registry: SchemaRegistry) -> None:
    assert registry.mode("order.accepted") == "FULL_TRANSITIVE"
    assert registry.mode("delivery.created") == "BACKWARD"
    assert registry.mode("some.other.type") == "BACKWARD"  # the file's default


def test_schema_returns_a_copy(registry: SchemaRegistry) -> None:
    registry.schema("order.accepted")["required"].clear()
    assert "orderId" in registry.schema("order.accepted")["required"]


def test_dataschema_uri_round_trip() -> None:
    assert dataschema_uri("order.accepted", 3) == "urn:accord:schemas:order.accepted:v3"
    assert parse_dataschema("urn:accord:schemas:order.accepted:v3") == ("order.accepted", 3)
    assert parse_dataschema("https://example.com/schema.json") is None
    assert parse_dataschema("urn:accord:schemas:order.accepted:v0") is None


def test_latest_version_and_dataschema_choose_the_schema(tmp_path: Path) -> None:
    v1 = {**_MINIMAL, "required": ["a"], "properties": {"a": {"type": "string"}}}
    v2 = {**_MINIMAL, "required": ["a", "b"],
          "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    registry = SchemaRegistry.from_directory(
        write_contracts(tmp_path, {"thing.done": {"v1.json": v1, "v2.json": v2}},
                        'default = "FULL"\n')
    )
    assert registry.versions("thing.done") == (1, 2)
    assert registry.latest("thing.done") == 2
    assert registry.mode("thing.done") == "FULL"
    event = {"specversion": "1.0", "id": "1", "source": "/x", "type": "thing.done",
             "time": "2026-01-01T00:00:00Z", "data": {"a": "x"}}
    # No dataschema: the newest version, which requires b.
    assert [v.pointer for v in registry.validate(event)] == ["/data/b"]
    event["dataschema"] = "urn:accord:schemas:thing.done:v1"
    assert registry.validate(event) == []
    event["dataschema"] = "urn:accord:schemas:thing.done:v2"
    assert not registry.is_valid(event)


def test_valid_events_of_every_version_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each version's own "#/$defs/..." references resolve inside the one compiled fast schema.
    v1 = {**_MINIMAL, "required": ["a"], "properties": {"a": {"$ref": "#/$defs/text"}},
          "$defs": {"text": {"type": "string"}}}
    v2 = {**_MINIMAL, "required": ["a", "b"], "properties": {"a": {"$ref": "#/$defs/text"},
                                                              "b": {"$ref": "#/$defs/count"}},
          "$defs": {"text": {"type": "string", "minLength": 2}, "count": {"type": "integer"}}}
    registry = SchemaRegistry({"thing.done": {1: v1, 2: v2}})
    event = {"specversion": "1.0", "id": "1", "source": "/x", "type": "thing.done",
             "time": "2026-01-01T00:00:00Z", "data": {"a": "xy", "b": 1}}
    v1_event = {**event, "dataschema": dataschema_uri("thing.done", 1), "data": {"a": "x"}}
    slow: list[Any] = []
    explain = registry._explain
    monkeypatch.setattr(registry, "_explain",
                        lambda *args: slow.append(args[0]) or explain(*args))
    for valid in (event, {**event, "dataschema": None},
                  {**event, "dataschema": dataschema_uri("thing.done", 2)}, v1_event):
        assert registry.validate(valid) == [] and registry.is_valid(valid)
    assert slow == []
    # Data of one version under the other's dataschema, or an unknown version: the fast
    # path refuses, the detailed path explains.
    assert sorted(v.pointer for v in registry.validate({**v1_event, "dataschema": None})) == [
        "/data/a", "/data/b"]
    assert [v.pointer for v in registry.validate(
        {**event, "dataschema": dataschema_uri("thing.done", 3)})] == ["/dataschema"]
    assert len(slow) == 2


def test_local_refs_work_without_an_id(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/$defs/id"}},
              "$defs": {"id": {"type": "string", "format": "uuid"}}}
    registry = SchemaRegistry.from_directory(write_contracts(tmp_path, {"a": {"v1.json": schema}}))
    event = {"specversion": "1.0", "id": "1", "source": "/x", "type": "a",
             "time": "2026-01-01T00:00:00Z", "data": {"id": "5b0c4f4e-6f51-4d1b-9b38-0f0c1c3f7a11"}}
    assert registry.is_valid(event)
    event["data"]["id"] = "x"
    assert [(v.pointer, v.keyword) for v in registry.validate(event)] == [("/data/id", "format")]


def test_without_compatibility_toml_every_type_is_backward(tmp_path: Path) -> None:
    contracts = write_contracts(tmp_path, {"a": {"v1.json": _MINIMAL}})
    registry = SchemaRegistry.from_directory(contracts)
    assert registry.mode("a") == "BACKWARD"
    assert set(MODES) >= {"BACKWARD", "FULL_TRANSITIVE"}


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    write_contracts(tmp_path, {"a": {"v1.json": '{\n  "type": "object",\n  "required": [\n}'}})
    with pytest.raises(UsageError) as info:
        SchemaRegistry.from_directory(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'schemas' / 'a' / 'v1.json'}:4:1: not valid JSON (")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "strin"}, "not a valid JSON Schema 2020-12 at /type:"),
        ({"minLength": -1}, "not a valid JSON Schema 2020-12 at /minLength:"),
        ({"properties": {"a": {"required": "yes"}}},
         "not a valid JSON Schema 2020-12 at /properties/a/required:"),
        ({"$schema": 7}, "$schema is 7; accord's event schemas are JSON Schema 2020-12"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"},
         "$schema is 'http://json-schema.org/draft-07/schema#'; accord's event schemas are "
         "JSON Schema 2020-12"),
        ({"$id": "urn:accord:schemas:b:v1"},
         "$id is 'urn:accord:schemas:b:v1', expected 'urn:accord:schemas:a:v1'"),
        ({"format": "uuidd"}, "cannot compile the schema"),
        ({"pattern": "(unclosed"}, "cannot compile the schema"),
        ({"$ref": "#/$defs/missing"}, "cannot compile the schema"),
    ],
)
def test_a_schema_that_is_not_2020_12_is_named(
    tmp_path: Path, schema: dict[str, Any], expected: str
) -> None:
    write_contracts(tmp_path, {"a": {"v1.json": schema}})
    with pytest.raises(UsageError) as info:
        SchemaRegistry.from_directory(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'schemas' / 'a' / 'v1.json'}: ")
    assert expected in str(info.value)


def test_a_schema_must_be_an_object(tmp_path: Path) -> None:
    write_contracts(tmp_path, {"a": {"v1.json": "[1, 2]"}})
    with pytest.raises(UsageError, match=r"v1.json: a schema must be a JSON object, got array"):
        SchemaRegistry.from_directory(tmp_path)


def test_badly_named_schema_file(tmp_path: Path) -> None:
    write_contracts(tmp_path, {"a": {"v1.json": _MINIMAL, "latest.json": _MINIMAL}})
    with pytest.raises(UsageError, match=r"latest.json: schema files are named v1.json"):
        SchemaRegistry.from_directory(tmp_path)


def test_missing_directories(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no such contracts directory"):
        SchemaRegistry.from_directory(tmp_path / "nope")
    with pytest.raises(UsageError, match=r"schemas: no such directory"):
        SchemaRegistry.from_directory(tmp_path)
    (tmp_path / "schemas").mkdir()
    with pytest.raises(UsageError, match=r"no schemas found"):
        SchemaRegistry.from_directory(tmp_path)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('default = "SIDEWAYS"\n', "default = 'SIDEWAYS' is not one of BACKWARD"),
        ('[types]\n"a" = "backward"\n', "a = 'backward' is not one of BACKWARD"),
        ("default = \n", "compatibility.toml: not valid TOML ("),
    ],
)
def test_bad_compatibility_file(tmp_path: Path, toml: str, expected: str) -> None:
    write_contracts(tmp_path, {"a": {"v1.json": _MINIMAL}}, toml)
    with pytest.raises(UsageError) as info:
        SchemaRegistry.from_directory(tmp_path)
    assert expected in str(info.value)


def test_the_repository_contracts_copy_loads(tmp_path: Path, contracts_dir: Path) -> None:
    # Guard against loading relative to the working directory.
    copy = tmp_path / "c"
    shutil.copytree(contracts_dir, copy)
    assert SchemaRegistry.from_directory(copy).types == SchemaRegistry.from_directory(
        contracts_dir
    ).types
