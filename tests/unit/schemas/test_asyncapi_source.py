"""An AsyncAPI 3 document as the contract source, and the comparison of two documents."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.cli import main
from accord.errors import UsageError
from accord.events import Location, make_event
from accord.schemas import SchemaRegistry
from accord.schemas._asyncapi import load_asyncapi
from accord.schemas._asyncapi_compat import compare_asyncapi

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]

ITEM = {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}


def document(**messages: dict[str, Any]) -> dict[str, Any]:
    """A document with channel ``things`` (topic ``shop.things``) carrying ``messages``."""
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {
            "things": {
                "address": "shop.things",
                "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in messages},
            }
        },
        "components": {"messages": messages, "schemas": {"Item": ITEM, "Sku": {"type": "string"}}},
    }


def message(event_type: str, payload: Any, version: int | None = None, **extra: Any) -> dict:
    consts: dict[str, Any] = {"ce_type": {"const": event_type}}
    if version is not None:
        consts["ce_dataschema"] = {"const": f"urn:accord:schemas:{event_type}:v{version}"}
    return {
        "name": event_type,
        "headers": {"type": "object", "properties": consts},
        "payload": payload,
        **extra,
    }


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data) if path.suffix != ".json" else json.dumps(data))
    return path


def test_the_reference_document_gives_what_the_directory_gives() -> None:
    directory = SchemaRegistry.from_directory(REPO / "contracts")
    document = SchemaRegistry.load(REPO / "contracts" / "asyncapi.yaml")
    assert document.types == directory.types
    for event_type in directory.types:
        assert document.versions(event_type) == directory.versions(event_type)
        assert document.mode(event_type) == directory.mode(event_type)
        for version in directory.versions(event_type):
            assert document.schema(event_type, version) == directory.schema(event_type, version)
    assert document.topics == {
        "delivery": ("delivery.created",),
        "invoice": ("invoice.created",),
        "order": ("order.accepted",),
    }
    # the dead-letter channel's payload accepts anything: no contract, skipped
    assert load_asyncapi(REPO / "contracts" / "asyncapi.yaml").skipped == ["orderDlq/deadLetter"]


def test_payloads_inline_by_components_and_by_relative_json_or_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    write(
        tmp_path / "schemas" / "whole.json",
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://x/whole",
            "type": "object",
            "properties": {"item": {"$ref": "#/$defs/item"}},
            "$defs": {"item": ITEM},
        },
    )
    write(
        tmp_path / "schemas" / "parts.yaml",
        {
            "$defs": {
                "box": {"type": "object", "properties": {"sku": {"$ref": "#/$defs/sku"}}},
                "sku": {"type": "string", "minLength": 2},
            }
        },
    )
    path = write(
        tmp_path / "asyncapi.yaml",
        document(
            inline=message(
                "a.inline",
                {"type": "object", "properties": {"sku": {"$ref": "#/components/schemas/Sku"}}},
            ),
            component=message("a.component", {"$ref": "#/components/schemas/Item"}),
            whole=message(
                "a.whole",
                {
                    "schemaFormat": "application/schema+json;version=draft-2020-12",
                    "schema": {"$ref": "./schemas/whole.json"},
                },
            ),
            part=message("a.part", {"$ref": "schemas/parts.yaml#/$defs/box"}),
        ),
    )
    registry = SchemaRegistry.from_asyncapi(path)
    assert registry.schema("a.inline")["properties"]["sku"] == {"type": "string"}
    assert registry.schema("a.component") == ITEM
    whole = registry.schema("a.whole")  # kept as written; its $id is not accord's: dropped
    assert whole["properties"]["item"] == {"$ref": "#/$defs/item"} and "$id" not in whole
    assert registry.schema("a.part")["properties"]["sku"] == {"type": "string", "minLength": 2}
    event = make_event("a.part", "/s", {"sku": "x"}, key="k")
    [violation] = registry.validate(event)
    assert (violation.pointer, violation.keyword) == ("/data/sku", "minLength")
    assert registry.validate(make_event("a.part", "/s", {"sku": "xy"}, key="k")) == []


def test_versions_modes_dataschemas_and_topics(tmp_path: Path) -> None:
    v2 = {**ITEM, "properties": {**ITEM["properties"], "note": {"type": "string"}}}
    doc = document(
        itemV1=message("item.added", ITEM, 1, **{"x-accord-compatibility": "FULL"}),
        item=message("item.added", v2, 2),
        other=message("other.thing", {"type": "object"}, **{"x-accord-version": 3}),
    )
    doc["x-accord-default-compatibility"] = "FORWARD"
    registry = SchemaRegistry.from_asyncapi(write(tmp_path / "a.yaml", doc))
    assert registry.versions("item.added") == (1, 2)
    assert registry.versions("other.thing") == (3,)
    assert (registry.mode("item.added"), registry.mode("other.thing")) == ("FULL", "FORWARD")
    assert registry.topics == {"shop.things": ("item.added", "other.thing")}
    old = make_event(
        "item.added", "/s", {"sku": "a"}, key="k", dataschema="urn:accord:schemas:item.added:v1"
    )
    assert registry.validate(old, "k", Location("shop.things", partition=0, offset=1)) == []
    # a topic the document does not describe is not checked
    assert registry.validate(old, "k", Location("shop.other", partition=0, offset=1)) == []
    overridden = SchemaRegistry.from_asyncapi(
        tmp_path / "a.yaml", default_mode="BACKWARD", modes={"item.added": "FULL_TRANSITIVE"}
    )
    assert overridden.mode("other.thing") == "BACKWARD"
    assert overridden.mode("item.added") == "FULL_TRANSITIVE"


@pytest.mark.parametrize(
    ("mutate", "message_part"),
    [
        (lambda d: d.update(asyncapi="2.6.0"), "asyncapi: 2.6.0; accord reads AsyncAPI 3"),
        (
            lambda d: d["components"]["messages"]["m"].update(payload={"$ref": "./nope.json"}),
            "nope.json: no such file",
        ),
        (
            lambda d: d["components"]["messages"]["m"].update(payload={"$ref": "#/components/x"}),
            "$ref '#/components/x' names nothing",
        ),
        (
            lambda d: (
                d["components"]["schemas"].update(
                    Loop={"properties": {"next": {"$ref": "#/components/schemas/Loop"}}}
                )
                or d["components"]["messages"]["m"].update(
                    payload={"$ref": "#/components/schemas/Loop"}
                )
            ),
            "is recursive",
        ),
        (
            lambda d: d["components"]["messages"]["m"].update(
                payload={"schemaFormat": "application/vnd.apache.avro;version=1.9.0", "schema": {}}
            ),
            "is not JSON Schema",
        ),
        (
            lambda d: d["components"]["messages"]["m"].update(
                {"x-accord-compatibility": "SIDEWAYS"}
            ),
            "compatibility mode 'SIDEWAYS'",
        ),
    ],
)
def test_unusable_documents_are_usage_errors_naming_the_place(
    tmp_path: Path, mutate: Any, message_part: str
) -> None:
    doc = document(m=message("m.t", ITEM))
    mutate(doc)
    with pytest.raises(UsageError) as info:
        SchemaRegistry.from_asyncapi(write(tmp_path / "a.yaml", doc))
    assert message_part in str(info.value)
    assert str(tmp_path / "a.yaml") in str(info.value) or "nope.json" in str(info.value)


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("asyncapi: 3.0.0\nchannels: [\n")
    with pytest.raises(UsageError, match=rf"^{path}:3:1: not YAML"):
        load_asyncapi(path)


OLD = {"v1": message("item.added", ITEM, 1, **{"x-accord-compatibility": "FULL_TRANSITIVE"})}


def _docs(tmp_path: Path, new_messages: dict[str, Any], **channel: Any) -> tuple[Path, Path]:
    old = write(tmp_path / "old.yaml", document(**OLD))
    new_doc = document(**new_messages)
    new_doc["channels"]["things"].update(channel)
    return old, write(tmp_path / "new.yaml", new_doc)


def test_compare_a_new_compatible_version(tmp_path: Path) -> None:
    v2 = {**ITEM, "additionalProperties": False}
    old, new = _docs(tmp_path, {**OLD, "v2": message("item.added", ITEM | {}, 2)})
    diff = compare_asyncapi(old, new)
    assert diff.compatible
    [channel] = diff.channels
    assert (channel.key, channel.status) == ("things", "changed")
    assert [(m.key, m.status) for m in channel.messages] == [("v1", "unchanged"), ("v2", "added")]
    assert channel.messages[1].reason == "a new version, checked against v1"
    # a closed v2 breaks FULL: old readers (v1 is open) ... and v1 data may hold anything
    old, new = _docs(tmp_path, {**OLD, "v2": message("item.added", v2, 2)})
    broken = compare_asyncapi(old, new)
    assert not broken.compatible
    assert broken.breaking == ["channel things message v2: payload breaks FULL_TRANSITIVE"]


def test_compare_removed_readdressed_and_retyped(tmp_path: Path) -> None:
    old, new = _docs(tmp_path, {}, address="shop.renamed")
    diff = compare_asyncapi(old, new)
    assert diff.breaking == [
        "channel things: address shop.things -> shop.renamed: producers and consumers of "
        "shop.things lose each other",
        "channel things message v1: no message of item.added is left on the channel; its "
        "consumers get nothing more",
    ]
    retyped = {**ITEM, "properties": {"sku": {"type": "integer"}}}
    old, new = _docs(tmp_path, {"v1": message("item.added", retyped, 1)})
    [change] = [
        c
        for c in compare_asyncapi(old, new).channels[0].messages[0].payload.breaking
        if c.direction == "backward"
    ]
    assert (change.path, change.kind) == ("#/properties/sku", "TYPE_CHANGED")


def test_the_cli_compares_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    narrower = {**ITEM, "properties": {"sku": {"type": "string", "maxLength": 3}}}
    old, new = _docs(tmp_path, {"v1": message("item.added", narrower, 1)})
    assert main(["schema", "compat", "--asyncapi", str(old), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "channel things (shop.things): changed"
    assert out[1] == (
        "  message v1 (item.added v1, BACKWARD): BREAKING: changed: payload breaks BACKWARD"
    )
    assert out[-1] == f"INCOMPATIBLE: {new} breaks {old} with 1 breaking change"
    assert main(["schema", "compat", "--asyncapi", str(old), str(old), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["compatible"] is True
    assert report["channels"]["things"]["messages"]["v1"]["status"] == "unchanged"
    assert main(["schema", "compat", "--asyncapi", str(old), str(tmp_path / "x.yaml")]) == 2
    assert "x.yaml: no such AsyncAPI document" in capsys.readouterr().err
    assert main(["schema", "compat", "--asyncapi", str(old), str(new), "--mode", "FULL"]) == 2


def test_tool_accord_points_schema_validate_at_a_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "api.yaml", document(m=message("m.t", ITEM)))
    (tmp_path / "pyproject.toml").write_text('[tool.accord]\ncontracts = "api.yaml"\n')
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(make_event("m.t", "/s", {"sku": 1}, key="k")) + "\n")
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "validate", str(events)]) == 1
    assert "/data/sku: expected string, got integer 1" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [tool.accord]
        contracts = "missing.yaml"
        """)
    )
    assert main(["schema", "validate", str(events)]) == 2
    assert "missing.yaml: no such AsyncAPI document" in capsys.readouterr().err


def test_the_broker_side_registry_exports_from_a_document_as_from_the_directory(
    tmp_path: Path,
) -> None:
    from accord.schemas import export_tansu_registry

    from_dir = export_tansu_registry(REPO / "contracts", tmp_path / "dir")
    from_doc = export_tansu_registry(REPO / "contracts" / "asyncapi.yaml", tmp_path / "doc")
    from_dir, from_doc = sorted(from_dir), sorted(from_doc)
    assert (
        [p.name for p in from_doc]
        == [p.name for p in from_dir]
        == ["delivery.json", "invoice.json", "order.json"]
    )
    for a, b in zip(from_dir, from_doc, strict=True):
        assert json.loads(a.read_text())["properties"] == json.loads(b.read_text())["properties"]


def test_header_consts_fix_the_source_of_a_type() -> None:
    from reference_services.samples import sample_order_accepted

    document = SchemaRegistry.load(REPO / "contracts" / "asyncapi.yaml")
    event = sample_order_accepted()
    assert document.validate(event) == []
    event["source"] = "/reference/shipping"
    assert [(v.pointer, v.keyword, v.message) for v in document.validate(event)] == [
        (
            "/source",
            "const",
            'expected "/reference/order" (the message\'s ce_source), got "/reference/shipping"',
        )
    ]
    assert not document.is_valid(event)
    # a contracts directory says nothing of sources
    assert SchemaRegistry.from_directory(REPO / "contracts").validate(event) == []


def test_the_key_schema_and_the_channel_are_checked_when_known() -> None:
    from reference_services.samples import sample_order_accepted

    document = SchemaRegistry.load(REPO / "contracts" / "asyncapi.yaml")
    event = sample_order_accepted()
    key = event["partitionkey"]
    on_order = Location("order", partition=1, offset=7, key=key)
    assert document.validate(event, key, on_order) == [] and document.is_valid(event, key)
    event["partitionkey"] = "k1"
    [bad_key] = document.validate(event, "k1", on_order)
    assert (bad_key.where, bad_key.pointer, bad_key.keyword) == (
        "order/1@7",
        "/partitionkey",
        "key",
    )
    assert bad_key.message == (
        'the record key "k1" does not match the message\'s key schema '
        '(bindings.kafka.key: {"type": "string", "format": "uuid"})'
    )
    assert not document.is_valid(event, "k1")
    event["partitionkey"] = key
    [wrong] = document.validate(event, key, Location("invoice", partition=0, offset=0))
    assert (wrong.pointer, wrong.keyword) == ("/type", "channel")
    assert wrong.message == (
        '"order.accepted" is not a message of the channel of topic invoice '
        "(expected invoice.created)"
    )


def test_a_json_document_reads_like_a_yaml_one(tmp_path: Path) -> None:
    doc = document(m=message("m.t", {"$ref": "#/components/schemas/Item"}, 1))
    from_json = SchemaRegistry.load(write(tmp_path / "a.json", doc))
    from_yaml = SchemaRegistry.load(write(tmp_path / "a.yaml", doc))
    assert from_json.schema("m.t") == from_yaml.schema("m.t") == ITEM
    (tmp_path / "bad.json").write_text('{"asyncapi": "3.0.0",\n "channels": {,}}')
    with pytest.raises(UsageError, match=r"bad.json:2:15: not JSON"):
        SchemaRegistry.load(tmp_path / "bad.json")


def test_a_channel_renamed_at_the_same_address_is_the_same_topic(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", document(**OLD))
    renamed = document(**OLD)
    renamed["channels"] = {"items": renamed["channels"].pop("things")}
    new = write(tmp_path / "new.yaml", renamed)
    diff = compare_asyncapi(old, new)
    assert diff.compatible, diff.breaking
    [channel] = diff.channels
    assert (channel.key, channel.status, channel.reason) == (
        "items",
        "changed",
        "renamed from things (same address)",
    )
    assert [(m.key, m.status) for m in channel.messages] == [("v1", "unchanged")]
