"""contracts/asyncapi.yaml: every $ref resolves, and it covers every event type we have."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from accord.events import to_kafka
from accord.schemas import TOPIC_EVENT_TYPES, SchemaRegistry, dataschema_uri
from accord.schemas._samples import sample_event

yaml = pytest.importorskip("yaml", reason="PyYAML comes with the test extra (schemathesis)")

pytestmark = pytest.mark.unit

_ID = re.compile(r"^[A-Za-z0-9_\-]+$")  # AsyncAPI 3.0 ids of channels, operations, components


@pytest.fixture(scope="module")
def document(contracts_dir: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((contracts_dir / "asyncapi.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def refs(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in the document as (where, target)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from refs(value, f"{path}/{index}")


def resolve(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_it_is_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= set(document["info"])
    for section in ("channels", "operations"):
        assert all(_ID.match(name) for name in document[section]), section
    for kind, entries in document["components"].items():
        assert all(_ID.match(name) for name in entries), kind
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")


def test_every_ref_resolves(document: dict[str, Any], contracts_dir: Path) -> None:
    found = list(refs(document))
    assert len(found) > 20
    for where, target in found:
        file_part, _, fragment = target.partition("#")
        if file_part:
            path = contracts_dir / file_part
            assert path.is_file(), f"{where}: $ref {target!r} names a missing file"
            resolved = json.loads(path.read_text())
            if fragment:
                resolve(resolved, fragment)
        else:
            try:
                resolve(document, fragment)
            except (KeyError, IndexError, ValueError) as exc:
                raise AssertionError(f"{where}: $ref {target!r} does not resolve") from exc


def _message_of_type(
    document: dict[str, Any], event_type: str, dataschema: str
) -> tuple[str, dict[str, Any]]:
    """The message of one version of a type (one message per version, same name)."""
    matches = [(key, message) for key, message in document["components"]["messages"].items()
               if message.get("name") == event_type
               and message["headers"]["allOf"][1]["properties"]["ce_dataschema"]["const"]
               == dataschema]
    assert len(matches) == 1, f"expected one message named {event_type} for {dataschema}"
    return matches[0]


def test_every_event_type_has_a_message_a_channel_and_a_sender(
    document: dict[str, Any], registry: SchemaRegistry, contracts_dir: Path
) -> None:
    channel_of_topic = {c["address"]: key for key, c in document["channels"].items()}
    for event_type in registry.types:
        for version in registry.versions(event_type):
            # Every version has its message: payload = that schema file, headers name it.
            _, old = _message_of_type(document, event_type, dataschema_uri(event_type, version))
            old_file = contracts_dir / old["payload"]["schema"]["$ref"]
            assert old_file.resolve() == registry.path(event_type, version)
            assert old["headers"]["allOf"][1]["properties"]["ce_type"]["const"] == event_type
        key, message = _message_of_type(document, event_type, registry.dataschema(event_type))
        # The payload of the newest message is the newest schema file of the type.
        payload_file = contracts_dir / message["payload"]["schema"]["$ref"]
        assert json.loads(payload_file.read_text())["$id"] == dataschema_uri(
            event_type, registry.latest(event_type)
        )

        topics = [t for t, typ in TOPIC_EVENT_TYPES.items() if typ == event_type]
        assert topics, f"{event_type} has no topic in TOPIC_EVENT_TYPES"
        channel_key = channel_of_topic[topics[0]]
        channel_messages = document["channels"][channel_key]["messages"]
        assert {"$ref": f"#/components/messages/{key}"} in channel_messages.values()

        senders = [
            op for op in document["operations"].values()
            if op["action"] == "send" and op["channel"]["$ref"] == f"#/channels/{channel_key}"
        ]
        assert len(senders) == 1, f"{event_type}: expected exactly one sending operation"


def test_who_sends_and_receives_what(document: dict[str, Any]) -> None:
    seen = {
        (op["x-accord-service"], op["action"], resolve(document, op["channel"]["$ref"][1:])[
            "address"])
        for op in document["operations"].values()
    }
    assert seen == {
        ("order", "send", "order"),
        ("shipping", "receive", "order"),
        ("shipping", "send", "delivery"),
        ("shipping", "send", "order.dlq"),
        ("invoicing", "receive", "order"),
        ("invoicing", "send", "invoice"),
        ("invoicing", "send", "order.dlq"),
    }
    for op in document["operations"].values():
        for message in op["messages"]:
            # An operation's messages must be messages of its channel.
            assert message["$ref"].startswith(op["channel"]["$ref"] + "/messages/")


@pytest.mark.parametrize("event_type", sorted(TOPIC_EVENT_TYPES.values()))
def test_the_headers_schema_accepts_what_accord_writes(
    document: dict[str, Any], event_type: str
) -> None:
    record = to_kafka(sample_event(event_type, random.Random(5)))
    headers = {name: value.decode() for name, value in record.headers}
    _, message = _message_of_type(document, event_type, headers["ce_dataschema"])
    base = document["components"]["schemas"]["CloudEventHeaders"]
    schema = {"allOf": [base, message["headers"]["allOf"][1]]}
    validator = jsonschema_rs.Draft7Validator(schema, validate_formats=True)
    assert validator.is_valid(headers), list(validator.iter_errors(headers))
    assert not validator.is_valid({**headers, "ce_specversion": "0.3"})
    assert not validator.is_valid({k: v for k, v in headers.items() if k != "ce_id"})
