"""An AsyncAPI 3 document as the contract source: topics, event types, schemas, keys, modes.

What accord reads of the document:

- **channels** give the topics: ``address`` (else ``bindings.kafka.topic``, else the channel's
  key). Each message of a channel is one event type (and version) that may travel on it.
- **messages**: the event type is the ``const`` of ``ce_type`` in the message's ``headers``
  schema, else the message ``name``, else its key; the version is the one named by the
  ``ce_dataschema`` const (``urn:accord:schemas:<type>:v<N>``), else ``x-accord-version``,
  else 1. Several versions of a type are several messages. A message whose payload accepts
  anything (``{}``, a dead-letter channel) carries no contract and is skipped.
- **payload** (a schema, or a Multi Format Schema Object with a JSON Schema ``schemaFormat``)
  may be inline or a ``$ref`` to ``#/components/...`` or to a relative file (``.json``,
  ``.yaml``), with or without a fragment. A ``$ref`` to a whole file is kept as that file
  (its own ``#/...`` references stay its own); every other ``$ref`` is inlined.
- **bindings.kafka.key** is the record key's schema; the ``headers`` consts are the
  CloudEvents attributes (``ce_source``, ``ce_dataschema``, ...).
- **modes**: ``x-accord-compatibility`` on a message (every version of a type must agree),
  ``x-accord-default-compatibility`` on the document; ``[tool.accord.compatibility]`` (given
  by the caller) overrides both.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import UsageError
from accord.schemas._registry import MODES

__all__ = ["AsyncApiContracts", "MessageContract", "is_asyncapi_path", "load_asyncapi"]

_SUFFIXES = (".yaml", ".yml", ".json")
_DATASCHEMA = re.compile(r"^urn:accord:schemas:(?P<type>[^:]+):v(?P<version>[1-9][0-9]*)$")
_JSON_SCHEMA_FORMATS = ("application/schema+json", "application/vnd.aai.asyncapi")


def is_asyncapi_path(path: str | Path) -> bool:
    """Whether a ``--contracts`` value names an AsyncAPI document rather than a directory."""
    p = Path(path)
    return p.suffix.lower() in _SUFFIXES and not p.is_dir()


@dataclass(frozen=True)
class MessageContract:
    """One message of one channel: an event type at one schema version."""

    channel: str
    message: str
    topic: str
    event_type: str
    version: int
    payload: dict[str, Any]
    dataschema: str | None
    key: dict[str, Any] | None
    attributes: dict[str, Any]
    mode: str | None
    where: str

    @property
    def label(self) -> str:
        return f"{self.channel}/{self.message}"


@dataclass
class AsyncApiContracts:
    """What :func:`load_asyncapi` read."""

    path: Path
    messages: list[MessageContract]
    default_mode: str = "BACKWARD"
    modes: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # channel key -> topic
    skipped: list[str] = field(default_factory=list)  # messages without a contract

    def schemas(self) -> dict[str, dict[int, dict[str, Any]]]:
        out: dict[str, dict[int, dict[str, Any]]] = {}
        for m in self.messages:
            out.setdefault(m.event_type, {})[m.version] = m.payload
        return out

    def dataschemas(self) -> dict[str, dict[int, str]]:
        out: dict[str, dict[int, str]] = {}
        for m in self.messages:
            if m.dataschema is not None:
                out.setdefault(m.event_type, {})[m.version] = m.dataschema
        return out

    def sources(self) -> dict[str, str]:
        """``{event type: source}`` where every version's headers fix ``ce_source``."""
        found: dict[str, set[Any]] = {}
        for m in self.messages:
            found.setdefault(m.event_type, set()).add(m.attributes.get("ce_source"))
        return {
            t: s.pop() for t, s in found.items() if len(s) == 1 and isinstance(next(iter(s)), str)
        }

    def keys(self) -> dict[str, dict[str, Any]]:
        """``{event type: key schema}`` of the newest version that declares one."""
        out: dict[str, dict[str, Any]] = {}
        for m in sorted(self.messages, key=lambda m: m.version):
            if m.key is not None:
                out[m.event_type] = m.key
        return out

    def topics(self) -> dict[str, tuple[str, ...]]:
        """``{topic: event types}`` of the channels that carry contracts."""
        out: dict[str, list[str]] = {}
        for m in self.messages:
            types = out.setdefault(m.topic, [])
            if m.event_type not in types:
                types.append(m.event_type)
        return {t: tuple(sorted(v)) for t, v in sorted(out.items())}

    def mode(self, event_type: str) -> str:
        return self.modes.get(event_type, self.default_mode)


class _Files:
    """Parsed documents by path (the AsyncAPI file and every file a ``$ref`` names)."""

    def __init__(self) -> None:
        self._cache: dict[Path, Any] = {}

    def load(self, path: Path, referrer: str | None = None) -> Any:
        path = path.resolve()
        if path in self._cache:
            return self._cache[path]
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            where = f"{referrer}: $ref names " if referrer else ""
            raise UsageError(f"{where}{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read ({exc})") from None
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})") from None
        else:
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                raise UsageError(f"{path}{at}: not YAML ({problem})") from None
        self._cache[path] = data
        return data


def _pointer(document: Any, fragment: str, where: str, ref: str) -> Any:
    node = document
    if fragment in ("", "/"):
        return node
    if not fragment.startswith("/"):
        raise UsageError(f"{where}: $ref {ref!r}: only JSON pointer fragments are supported")
    for token in fragment[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise UsageError(f"{where}: $ref {ref!r} names nothing")
    return node


class _Resolver:
    def __init__(self, files: _Files) -> None:
        self.files = files

    def target(self, ref: str, base: Path, where: str) -> tuple[Any, Path, str]:
        """(node, file it is in, fragment) of a ``$ref`` relative to ``base``."""
        file_part, _, fragment = ref.partition("#")
        if "://" in file_part:
            raise UsageError(
                f"{where}: $ref {ref!r}: remote references are not supported; use a relative file"
            )
        path = (base.parent / file_part).resolve() if file_part else base
        document = self.files.load(path, where)
        return _pointer(document, fragment, where, ref), path, fragment

    def inline(self, node: Any, base: Path, where: str, stack: tuple[str, ...] = ()) -> Any:
        """``node`` with every ``$ref`` replaced by what it names (relative to ``base``)."""
        if isinstance(node, list):
            return [self.inline(v, base, f"{where}/{i}", stack) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target, path, _ = self.target(ref, base, where)
            key = f"{path}#{ref.partition('#')[2]}"
            if key in stack:
                raise UsageError(
                    f"{where}: $ref {ref!r} is recursive; accord inlines the "
                    "references of AsyncAPI payloads and cannot inline a cycle"
                )
            resolved = self.inline(target, path, where, (*stack, key))
            if isinstance(resolved, dict):
                resolved = {k: v for k, v in resolved.items() if k not in ("$id", "$schema")}
            siblings = {
                k: self.inline(v, base, f"{where}/{k}", stack)
                for k, v in node.items()
                if k != "$ref"
            }
            return {"allOf": [resolved, siblings]} if siblings else resolved
        return {k: self.inline(v, base, f"{where}/{k}", stack) for k, v in node.items()}

    def deref(self, node: Any, base: Path, where: str) -> tuple[Any, Path]:
        """Follow a chain of ``$ref`` at the top of ``node`` (AsyncAPI objects, not schemas)."""
        for _ in range(50):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node, base
            node, base, _ = self.target(node["$ref"], base, where)
        raise UsageError(f"{where}: $ref chain too long (a cycle?)")


def _consts(schema: Any) -> dict[str, Any]:
    """The ``const`` (or one-value ``enum``) of each property, looking through ``allOf``."""
    out: dict[str, Any] = {}
    if not isinstance(schema, dict):
        return out
    for sub in schema.get("allOf", []) or []:
        out.update(_consts(sub))
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict):
            if "const" in prop:
                out[name] = prop["const"]
            elif isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1:
                out[name] = prop["enum"][0]
    return out


def _mode(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.strip().upper() not in MODES:
        raise UsageError(f"{where}: compatibility mode {value!r} is not one of {', '.join(MODES)}")
    return value.strip().upper()


def load_asyncapi(
    path: str | Path,
    *,
    default_mode: str | None = None,
    modes: Mapping[str, str] | None = None,
    allow_empty: bool = False,
) -> AsyncApiContracts:
    """Read the event contracts of an AsyncAPI 3 document.

    Args:
        path: the document (YAML or JSON).
        default_mode: overrides ``x-accord-default-compatibility`` (``[tool.accord]``).
        modes: per event type, overrides each message's ``x-accord-compatibility``.
        allow_empty: accept a document without any message that has a contract.

    Raises:
        UsageError: naming the file and the place in it when the document cannot be used.
    """
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{file}: no such AsyncAPI document")
    files = _Files()
    document = files.load(file)
    where = str(file)
    if not isinstance(document, dict):
        raise UsageError(f"{where}: an AsyncAPI document is a mapping at the top")
    version = str(document.get("asyncapi", ""))
    if not version.startswith("3."):
        raise UsageError(
            f"{where}: asyncapi: {version or '(missing)'}; accord reads AsyncAPI 3 "
            "documents (asyncapi: 3.0.0)"
        )
    resolver = _Resolver(files)
    base = file.resolve()
    doc_default = document.get("x-accord-default-compatibility", "BACKWARD")
    contracts = AsyncApiContracts(
        path=file,
        messages=[],
        default_mode=_mode(default_mode or doc_default, f"{where}: x-accord-default-compatibility"),
    )
    channels = document.get("channels") or {}
    if not isinstance(channels, dict):
        raise UsageError(f"{where}: channels must be a mapping")
    seen: dict[tuple[str, int], MessageContract] = {}
    message_modes: dict[str, tuple[str, str]] = {}
    for channel_key, raw_channel in channels.items():
        here = f"{where}: channels/{channel_key}"
        channel, channel_base = resolver.deref(raw_channel, base, here)
        if not isinstance(channel, dict):
            raise UsageError(f"{here}: a channel is a mapping")
        topic = (
            channel.get("address")
            or (((channel.get("bindings") or {}).get("kafka") or {}).get("topic"))
            or channel_key
        )
        contracts.channels[channel_key] = str(topic)
        for message_key, raw_message in (channel.get("messages") or {}).items():
            mhere = f"{here}/messages/{message_key}"
            message, message_base = resolver.deref(raw_message, channel_base, mhere)
            if not isinstance(message, dict):
                raise UsageError(f"{mhere}: a message is a mapping")
            contract = _message(
                resolver,
                message,
                message_base,
                mhere,
                str(channel_key),
                str(message_key),
                str(topic),
            )
            if contract is None:
                contracts.skipped.append(f"{channel_key}/{message_key}")
                continue
            type_version = (contract.event_type, contract.version)
            earlier = seen.get(type_version)
            if earlier is not None and earlier.payload != contract.payload:
                raise UsageError(
                    f"{mhere}: {contract.event_type} v{contract.version} is also "
                    f"{earlier.label} with another payload; give each version its own "
                    "ce_dataschema (or x-accord-version)"
                )
            if contract.mode is not None:
                known = message_modes.get(contract.event_type)
                if known is not None and known[0] != contract.mode:
                    raise UsageError(
                        f"{mhere}: x-accord-compatibility {contract.mode} of "
                        f"{contract.event_type} differs from {known[0]} at {known[1]}"
                    )
                message_modes[contract.event_type] = (contract.mode, mhere)
            seen[type_version] = contract
            contracts.messages.append(contract)
    contracts.modes = {t: m for t, (m, _) in message_modes.items()}
    for event_type, mode in (modes or {}).items():
        contracts.modes[event_type] = _mode(mode, f"{where}: mode of {event_type}")
    if not contracts.messages and not allow_empty:
        raise UsageError(
            f"{where}: no channel has a message with a payload schema; nothing to check"
        )
    return contracts


def _message(
    resolver: _Resolver,
    message: dict[str, Any],
    base: Path,
    where: str,
    channel: str,
    key: str,
    topic: str,
) -> MessageContract | None:
    headers = resolver.inline(message.get("headers"), base, f"{where}/headers")
    attributes = _consts(headers)
    payload = _payload(resolver, message.get("payload"), base, f"{where}/payload")
    if payload is None:
        return None
    event_type = attributes.get("ce_type") or message.get("name") or key
    if not isinstance(event_type, str) or not event_type:
        raise UsageError(f"{where}: the event type (ce_type const or name) must be a string")
    dataschema = attributes.get("ce_dataschema")
    version: int | None = None
    if isinstance(dataschema, str):
        match = _DATASCHEMA.match(dataschema)
        if match is not None:
            if match["type"] != event_type:
                raise UsageError(
                    f"{where}: ce_dataschema {dataschema!r} names type "
                    f"{match['type']!r}, but the message is {event_type!r}"
                )
            version = int(match["version"])
    elif dataschema is not None:
        raise UsageError(f"{where}/headers: ce_dataschema const must be a string")
    declared = message.get("x-accord-version")
    if declared is not None:
        if not isinstance(declared, int) or isinstance(declared, bool) or declared < 1:
            raise UsageError(f"{where}: x-accord-version must be a positive integer")
        if version is not None and declared != version:
            raise UsageError(
                f"{where}: x-accord-version {declared} contradicts ce_dataschema {dataschema!r}"
            )
        version = declared
    mode = message.get("x-accord-compatibility")
    bindings = (message.get("bindings") or {}).get("kafka") or {}
    key_schema = bindings.get("key")
    return MessageContract(
        channel=channel,
        message=key,
        topic=topic,
        event_type=event_type,
        version=version or 1,
        payload=payload,
        dataschema=dataschema if isinstance(dataschema, str) else None,
        key=resolver.inline(key_schema, base, f"{where}/bindings/kafka/key")
        if isinstance(key_schema, dict)
        else None,
        attributes={k: v for k, v in attributes.items()},
        mode=None if mode is None else _mode(mode, f"{where}: x-accord-compatibility"),
        where=where,
    )


def _payload(resolver: _Resolver, payload: Any, base: Path, where: str) -> dict[str, Any] | None:
    if payload is None:
        return None
    if isinstance(payload, dict) and "schemaFormat" in payload:
        fmt = str(payload["schemaFormat"])
        if not fmt.startswith(_JSON_SCHEMA_FORMATS):
            raise UsageError(
                f"{where}: schemaFormat {fmt!r} is not JSON Schema; accord checks "
                "JSON Schema payloads (application/schema+json;version=...)"
            )
        payload = payload.get("schema")
    if payload is True or payload == {}:
        return None  # accepts anything: no contract to check
    if isinstance(payload, dict) and set(payload) == {"$ref"} and isinstance(payload["$ref"], str):
        ref = payload["$ref"]
        if ("#" not in ref or ref.endswith("#")) and not ref.startswith("#"):
            # A whole schema file: keep it as written, its own references stay its own.
            target, _, _ = resolver.target(ref, base, where)
            if not isinstance(target, dict):
                raise UsageError(f"{where}: $ref {ref!r}: a schema file holds an object")
            return copy.deepcopy(target)
    schema = resolver.inline(payload, base, where)
    if not isinstance(schema, dict):
        raise UsageError(f"{where}: the payload schema must be an object")
    return schema if schema else None
