from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from accord.errors import UsageError
from accord.events import CONTENT_TYPE_JSON, Location
from accord.schemas._violations import SchemaViolation, SchemaViolationError

#: The compatibility modes of Confluent Schema Registry that accord understands.
MODES = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
DEFAULT_MODE = "BACKWARD"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
SPECVERSION = "1.0"

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.json$")
_TYPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATASCHEMA = re.compile(r"^urn:accord:schemas:(?P<type>[^:]+):v(?P<version>[1-9][0-9]*)$")
_MAX_SHOWN = 60


def dataschema_uri(event_type: str, version: int) -> str:
    """The ``dataschema`` URI (and schema ``$id``) of a type's version.

    >>> dataschema_uri("order.accepted", 1)
    'urn:accord:schemas:order.accepted:v1'
    """
    return f"urn:accord:schemas:{event_type}:v{version}"


def parse_dataschema(uri: str) -> tuple[str, int] | None:
    """``(type, version)`` named by an accord ``dataschema`` URI, or ``None`` for another URI."""
    match = _DATASCHEMA.match(uri)
    if match is None:
        return None
    return match["type"], int(match["version"])


@dataclass(slots=True)
class _TypeEntry:
    """Everything the hot path needs about one event type."""

    latest: Any  # compiled jsonschema_rs validator of the newest version
    by_uri: dict[str, Any]  # dataschema URI -> compiled validator
    versions: dict[int, Any] = field(default_factory=dict)


def _compile(schema: dict[str, Any]) -> Any:
    # Formats are assertions here (2020-12 makes them annotations by default); an unknown
    # format name is an error, so a typo such as "uuidd" cannot switch a check off silently.
    return jsonschema_rs.Draft202012Validator(
        schema, validate_formats=True, ignore_unknown_formats=False
    )


_NON_EMPTY = {"type": "string", "minLength": 1}


def _fast_schema(
    event_type: str,
    versions: Mapping[int, Mapping[str, Any]],
    uris: Mapping[int, str],
    source: str | None = None,
) -> dict[str, Any]:
    """The one schema of a type's hot path: envelope and data, every version.

    It validates ``[type, specversion, id, source, time, datacontenttype, dataschema, data]``
    (absent optional attributes as ``None``): a list, because jsonschema_rs checks list items
    cheaper than the same values looked up as object properties. ``dataschema`` picks the
    version whose schema ``data`` must match (absent or ``null``: the newest); each version is
    embedded under its own ``$id``, so its ``#/...`` references stay its own.
    """
    envelope: list[Any] = [
        {"const": event_type},
        {"const": SPECVERSION},
        _NON_EMPTY,
        {**_NON_EMPTY, "format": "uri-reference"} if source is None else {"const": source},
        {"type": "string", "format": "date-time"},
        {"enum": [None, CONTENT_TYPE_JSON]},
    ]
    latest = max(versions)
    if len(versions) == 1:
        return {
            "type": "array",
            "prefixItems": [
                *envelope,
                {"enum": [None, uris[latest]]},
                {**versions[latest], "$id": uris[latest]},
            ],
        }
    # Several versions: one branch per version, the newest first (the usual case).
    skip: list[Any] = [True] * len(envelope)
    return {
        "type": "array",
        "prefixItems": envelope,
        "anyOf": [
            {
                "prefixItems": [
                    *skip,
                    {"enum": [None, uris[version]]} if version == latest
                    else {"const": uris[version]},
                    {"$ref": uris[version]},
                ]
            }
            for version in sorted(versions, reverse=True)
        ],
        "$defs": {
            f"v{version}": {**schema, "$id": uris[version]} for version, schema in versions.items()
        },
    }


_is_date_time = _compile({"type": "string", "format": "date-time"}).is_valid
_is_uri_reference = _compile({"type": "string", "format": "uri-reference"}).is_valid


class SchemaRegistry:
    """The event schemas of a contracts directory, compiled once, validating CloudEvents.

    Build one with :meth:`from_directory` (``contracts/schemas/<type>/vN.json`` plus
    ``contracts/compatibility.toml``) or, in tests, directly from schema dicts.

    An event is checked in two parts. The *envelope*: ``specversion`` is ``"1.0"``; ``id``,
    ``source``, ``type`` and ``time`` are present; ``time`` is an RFC 3339 date-time;
    ``source`` is a URI reference; ``type`` is a known event type; ``datacontenttype``, if
    present, is ``application/json``; ``dataschema``, if present, names a known version of
    that type; ``partitionkey`` equals the record key when the caller knows the key. The
    *data*: against the schema the ``dataschema`` names, else the type's newest version,
    with the formats ``date-time``, ``email`` and ``uuid`` (and any other format) asserted.

    Valid events take a fast path: the ``type`` picks a compiled ``jsonschema_rs`` validator
    that checks the envelope attributes and the data (against the version ``dataschema``
    names) in one call; the record key is compared in Python. Only failing events are
    examined again, by hand-written envelope rules and the data validator's errors, for
    detailed violations.

    Args:
        schemas: ``{event_type: {version: schema}}``; every schema is JSON Schema 2020-12.
        modes: compatibility mode per event type (see :data:`MODES`).
        default_mode: the mode of types missing from ``modes``.
        paths: ``{event_type: {version: file}}`` the schemas came from (for messages).
        dataschemas: ``{event_type: {version: URI}}`` where a version's ``dataschema`` is not
            accord's ``urn:accord:schemas:<type>:v<N>`` (an AsyncAPI ``ce_dataschema`` const).
        topics: ``{topic: event types}``; when given, an event read from a topic (a
            :class:`~accord.events.Location` with that source) must be of one of its types.
        sources: ``{event_type: source}`` where a type's ``source`` is fixed (an AsyncAPI
            message's ``ce_source`` const).
        keys: ``{event_type: JSON Schema}`` of the record key (``bindings.kafka.key``),
            checked when the caller passes the key.

    Raises:
        UsageError: when a schema is not valid JSON Schema 2020-12 or cannot be compiled.
    """

    def __init__(
        self,
        schemas: Mapping[str, Mapping[int, Mapping[str, Any]]],
        *,
        modes: Mapping[str, str] | None = None,
        default_mode: str = DEFAULT_MODE,
        paths: Mapping[str, Mapping[int, Path]] | None = None,
        dataschemas: Mapping[str, Mapping[int, str]] | None = None,
        topics: Mapping[str, tuple[str, ...]] | None = None,
        sources: Mapping[str, str] | None = None,
        keys: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._schemas: dict[str, dict[int, dict[str, Any]]] = {}
        self._uris: dict[str, dict[int, str]] = {}
        self._topics = {t: tuple(v) for t, v in (topics or {}).items()}
        self._sources = dict(sources or {})
        self._key_schemas = {t: dict(s) for t, s in (keys or {}).items()}
        self._keys: dict[str, Callable[[Any], bool]] = {
            t: _compile_or_explain(s, f"key schema of {t}").is_valid
            for t, s in self._key_schemas.items()
        }
        self._extras = bool(self._topics or self._keys)
        self._paths: dict[str, dict[int, Path]] = {t: dict(v) for t, v in (paths or {}).items()}
        self._entries: dict[str, _TypeEntry] = {}
        # Per type, the is_valid of the compiled validator of _fast_schema's list.
        self._fast: dict[str, Callable[[list[Any]], bool]] = {}
        for event_type in sorted(schemas):
            versions = schemas[event_type]
            if not versions:
                raise UsageError(f"event type {event_type!r} has no schema versions")
            compiled: dict[int, Any] = {}
            self._schemas[event_type] = {}
            for version in sorted(versions):
                schema = dict(versions[version])
                _check_schema(schema, self._where(event_type, version), event_type, version)
                compiled[version] = _compile_or_explain(schema, self._where(event_type, version))
                self._schemas[event_type][version] = schema
            latest = max(compiled)
            custom = (dataschemas or {}).get(event_type, {})
            uris = {v: custom.get(v) or dataschema_uri(event_type, v) for v in compiled}
            self._uris[event_type] = uris
            self._fast[event_type] = _compile_or_explain(
                _fast_schema(event_type, self._schemas[event_type], uris,
                             self._sources.get(event_type)),
                self._where(event_type, latest),
            ).is_valid
            self._entries[event_type] = _TypeEntry(
                latest=compiled[latest],
                by_uri={uris[v]: c for v, c in compiled.items()},
                versions=compiled,
            )
        if default_mode not in MODES:
            raise UsageError(f"default compatibility mode {default_mode!r} is not one of {MODES}")
        self._default_mode = default_mode
        self._modes = dict(modes or {})
        for event_type, mode in self._modes.items():
            if mode not in MODES:
                raise UsageError(
                    f"compatibility mode {mode!r} of {event_type!r} is not one of "
                    f"{', '.join(MODES)}"
                )
        self._known = ", ".join(self._entries)

    # ----------------------------------------------------------------- loading

    @classmethod
    def from_directory(cls, contracts_dir: str | Path) -> SchemaRegistry:
        """Load ``<contracts_dir>/schemas/<type>/vN.json`` and ``compatibility.toml``.

        Raises:
            UsageError: naming the file (and line and column for malformed JSON or TOML)
                when the directory, a schema or the compatibility file cannot be used.
        """
        root = Path(contracts_dir)
        schemas_dir = root / "schemas"
        if not root.is_dir():
            raise UsageError(
                f"{root}: no such contracts directory (expected {root}/schemas/<type>/vN.json); "
                "pass --contracts DIR"
            )
        if not schemas_dir.is_dir():
            raise UsageError(
                f"{schemas_dir}: no such directory; a contracts directory holds "
                "schemas/<type>/vN.json"
            )
        schemas: dict[str, dict[int, dict[str, Any]]] = {}
        paths: dict[str, dict[int, Path]] = {}
        for type_dir in sorted(p for p in schemas_dir.iterdir() if p.is_dir()):
            event_type = type_dir.name
            if not _TYPE_NAME.match(event_type):
                raise UsageError(
                    f"{type_dir}: {event_type!r} is not a usable event type name "
                    "(letters, digits, '.', '_', '-')"
                )
            for file in sorted(type_dir.glob("*.json")):
                match = _VERSION_FILE.match(file.name)
                if match is None:
                    raise UsageError(
                        f"{file}: schema files are named v1.json, v2.json, ...; rename or move it"
                    )
                version = int(match[1])
                schemas.setdefault(event_type, {})[version] = _load_json(file)
                paths.setdefault(event_type, {})[version] = file
        if not schemas:
            raise UsageError(f"{schemas_dir}: no schemas found (expected <type>/v1.json)")
        default_mode, modes = _load_modes(root / "compatibility.toml")
        return cls(schemas, modes=modes, default_mode=default_mode, paths=paths)

    @classmethod
    def from_asyncapi(
        cls,
        document: str | Path,
        *,
        default_mode: str | None = None,
        modes: Mapping[str, str] | None = None,
    ) -> SchemaRegistry:
        """Load the event contracts of an AsyncAPI 3 document (see :mod:`accord.schemas`).

        Channels give the topics (an event read from a topic must be one of its messages),
        messages the types, versions and payload schemas; ``default_mode`` and ``modes``
        override the document's ``x-accord-*`` compatibility modes.
        """
        from accord.schemas._asyncapi import load_asyncapi

        contracts = load_asyncapi(document, default_mode=default_mode, modes=modes)
        schemas = contracts.schemas()
        uris = contracts.dataschemas()
        for event_type, versions in schemas.items():
            for version, schema in versions.items():
                wanted = dataschema_uri(event_type, version)
                if "$id" in schema and schema["$id"] != wanted:
                    # a team's own $id: the registry names versions by dataschema instead
                    versions[version] = {k: v for k, v in schema.items() if k != "$id"}
        paths: dict[str, dict[int, Path]] = {}
        for message in contracts.messages:  # names the message in errors: "file: channels/..."
            paths.setdefault(message.event_type, {})[message.version] = Path(message.where)
        return cls(
            schemas,
            modes=contracts.modes,
            default_mode=contracts.default_mode,
            paths=paths,
            dataschemas=uris,
            topics=contracts.topics(),
            sources=contracts.sources(),
            keys=contracts.keys(),
        )

    @classmethod
    def load(
        cls,
        contracts: str | Path,
        *,
        default_mode: str | None = None,
        modes: Mapping[str, str] | None = None,
    ) -> SchemaRegistry:
        """A contracts directory or an AsyncAPI document (``.yaml``, ``.yml``, ``.json``).

        ``default_mode``/``modes`` (``[tool.accord.compatibility]``) apply to a document.
        """
        from accord.schemas._asyncapi import is_asyncapi_path

        if is_asyncapi_path(contracts):
            return cls.from_asyncapi(contracts, default_mode=default_mode, modes=modes)
        return cls.from_directory(contracts)

    # ------------------------------------------------------------ what it knows

    @property
    def types(self) -> tuple[str, ...]:
        """The known event types, sorted."""
        return tuple(self._entries)

    def versions(self, event_type: str) -> tuple[int, ...]:
        """The versions of a type, oldest first."""
        return tuple(self._schemas[self._known_type(event_type)])

    def latest(self, event_type: str) -> int:
        """The newest version of a type."""
        return max(self._schemas[self._known_type(event_type)])

    def schema(self, event_type: str, version: int | None = None) -> dict[str, Any]:
        """A copy of a type's schema (the newest version unless ``version`` is given)."""
        versions = self._schemas[self._known_type(event_type)]
        chosen = max(versions) if version is None else version
        if chosen not in versions:
            raise KeyError(f"{event_type} has no schema v{chosen} (versions: {sorted(versions)})")
        return copy.deepcopy(versions[chosen])

    def path(self, event_type: str, version: int) -> Path | None:
        """The file a schema was loaded from, if it came from a file."""
        return self._paths.get(event_type, {}).get(version)

    def mode(self, event_type: str) -> str:
        """The compatibility mode configured for a type (the default for unlisted types)."""
        return self._modes.get(event_type, self._default_mode)

    def dataschema(self, event_type: str, version: int | None = None) -> str:
        """The ``dataschema`` URI for a type's version (the newest by default)."""
        chosen = self.latest(event_type) if version is None else version
        return self._uris.get(event_type, {}).get(chosen) or dataschema_uri(event_type, chosen)

    @property
    def topics(self) -> dict[str, tuple[str, ...]]:
        """``{topic: event types}`` when the contracts say which topic carries what."""
        return dict(self._topics)

    def _where(self, event_type: str, version: int) -> str:
        return str(self._paths.get(event_type, {}).get(version) or f"{event_type} v{version}")

    def _known_type(self, event_type: str) -> str:
        if event_type not in self._schemas:
            raise KeyError(f"unknown event type {event_type!r} (known: {self._known})")
        return event_type

    # --------------------------------------------------------------- validation

    def is_valid(self, event: Any, key: str | None = None) -> bool:
        """Whether a structured CloudEvent passes every check; the fastest way to ask.

        Args:
            event: the structured CloudEvent (a dict).
            key: the Kafka record key it was read with, when known.
        """
        # The hot path, repeated in validate() to save a call: the type picks a compiled
        # validator, and one jsonschema_rs call checks the envelope attributes and the data
        # (of the version dataschema names) together. Anything that misses (a missing
        # attribute, an unusual but valid content type) takes the detailed path, which has the
        # last word.
        try:
            ok = self._fast[event["type"]]([
                event["type"], event["specversion"], event["id"], event["source"], event["time"],
                event.get("datacontenttype"), event.get("dataschema"), event["data"],
            ])
        except (KeyError, TypeError, AttributeError, ValueError):  # ValueError: not JSON types
            ok = False
        if ok and (key is None or event.get("partitionkey") == key):
            return not self._extras or not self._extra(event, key, None)
        return not self._explain(event, key, None) and not (
            self._extras and self._extra(event, key, None))

    def validate(
        self, event: Any, key: str | None = None, where: str | Location | None = None
    ) -> list[SchemaViolation]:
        """Every violation of a structured CloudEvent; an empty list when it is valid.

        Args:
            event: the structured CloudEvent (a dict).
            key: the Kafka record key it was read with, when known; ``partitionkey`` must
                equal it.
            where: where the event was read, copied into each violation.
        """
        try:
            ok = self._fast[event["type"]]([
                event["type"], event["specversion"], event["id"], event["source"], event["time"],
                event.get("datacontenttype"), event.get("dataschema"), event["data"],
            ])
        except (KeyError, TypeError, AttributeError, ValueError):  # ValueError: not JSON types
            ok = False
        if ok and (key is None or event.get("partitionkey") == key):
            return self._extra(event, key, where) if self._extras else []
        found = self._explain(event, key, None if where is None else str(where))
        if self._extras:
            found += self._extra(event, key, where)
        return found

    def _extra(
        self, event: Any, key: str | None, where: str | Location | None
    ) -> list[SchemaViolation]:
        """What an AsyncAPI document adds: the channel of a topic, the key's schema."""
        event_type = event.get("type") if type(event) is dict else None
        if event_type not in self._entries:
            return []  # the type itself is already reported
        found = []
        if isinstance(where, Location):
            allowed = self._topics.get(where.source)
            if allowed is not None and event_type not in allowed:
                found.append(SchemaViolation(
                    str(where), event_type, event.get("id"), "/type", "channel",
                    f"{_show(event_type)} is not a message of the channel of topic "
                    f"{where.source} (expected {', '.join(allowed)})"))
        key_ok = self._keys.get(event_type)
        if key is not None and key_ok is not None and not key_ok(key):
            found.append(SchemaViolation(
                None if where is None else str(where), event_type, event.get("id"),
                "/partitionkey", "key",
                f"the record key {_show(key)} does not match the message's key schema "
                f"(bindings.kafka.key: {_show(self._key_schemas[event_type])})"))
        return found

    def check(
        self, event: Any, where: str | Location | None = None, *, key: str | None = None
    ) -> None:
        """Raise if a structured CloudEvent is not valid.

        Raises:
            SchemaViolationError: carrying the type, id, location, JSON pointer, keyword and
                reason of the first violation, and all violations in ``.violations``.
        """
        violations = self.validate(event, key, where)
        if violations:
            raise SchemaViolationError(violations)

    def validate_data(
        self, event_type: str, data: Any, version: int | None = None
    ) -> list[SchemaViolation]:
        """Violations of a payload alone against a type's schema (newest unless ``version``).

        Pointers start at ``/data`` as they would inside the event.
        """
        entry = self._entries[self._known_type(event_type)]
        validator = entry.latest if version is None else entry.versions[version]
        if validator.is_valid(data):
            return []
        return _data_violations(validator, data, None, event_type, None)

    # ------------------------------------------------------- the detailed path

    def _explain(self, event: Any, key: str | None, where: str | None) -> list[SchemaViolation]:
        if type(event) is not dict:
            return [
                SchemaViolation(
                    where, None, None, "", "type",
                    f"expected a CloudEvent (a JSON object), got {_json_type(event)}",
                )
            ]
        raw_type, raw_id = event.get("type"), event.get("id")
        event_type = raw_type if type(raw_type) is str and raw_type else None
        event_id = raw_id if type(raw_id) is str and raw_id else None
        found: list[SchemaViolation] = []

        def add(pointer: str, keyword: str, message: str) -> None:
            found.append(SchemaViolation(where, event_type, event_id, pointer, keyword, message))

        if "specversion" not in event:
            add("/specversion", "required", 'required attribute missing (expected "1.0")')
        elif event["specversion"] != SPECVERSION:
            add("/specversion", "const", f'expected "1.0", got {_show(event["specversion"])}')
        for name in ("id", "source", "type"):
            if name not in event:
                add(f"/{name}", "required", "required attribute missing")
            elif type(event[name]) is not str or not event[name]:
                add(f"/{name}", "type", f"expected a non-empty string, got {_show(event[name])}")
        source = event.get("source")
        if type(source) is str and source and not _is_uri_reference(source):
            add("/source", "format", f"expected a URI reference, got {_show(source)}")
        fixed = self._sources.get(raw_type) if type(raw_type) is str else None
        if fixed is not None and type(source) is str and source and source != fixed:
            add("/source", "const", f"expected {_show(fixed)} (the message's ce_source), "
                f"got {_show(source)}")
        if "time" not in event:
            add("/time", "required", "required attribute missing (an RFC 3339 date-time)")
        elif type(event["time"]) is not str or not _is_date_time(event["time"]):
            add("/time", "format", f"expected an RFC 3339 date-time, got {_show(event['time'])}")
        content_type = event.get("datacontenttype")
        if content_type is not None and not (
            content_type == CONTENT_TYPE_JSON or _is_json_content_type(content_type)
        ):
            add("/datacontenttype", "const",
                f'expected "{CONTENT_TYPE_JSON}", got {_show(content_type)}')
        if key is not None and event.get("partitionkey") != key:
            got = _show(event["partitionkey"]) if "partitionkey" in event else "no partitionkey"
            add("/partitionkey", "partitionkey", f"expected the record key {_show(key)}, got {got}")

        entry = self._entries.get(event_type) if event_type is not None else None
        if entry is None:
            if event_type is not None:
                add("/type", "enum",
                    f"unknown event type {_show(event_type)} (known: {self._known})")
            return found
        assert event_type is not None
        validator = entry.latest
        dataschema = event.get("dataschema")
        if dataschema is not None:
            validator = entry.by_uri.get(dataschema) if type(dataschema) is str else None
            if validator is None:
                versions = ", ".join(f"v{v}" for v in entry.versions)
                add("/dataschema", "dataschema",
                    f"expected {self.dataschema(event_type)} or another "
                    f"known version of {event_type} ({versions}), got {_show(dataschema)}")
                return found
        if "data" not in event:
            add("/data", "required", f"required: {event_type} events carry data")
        else:
            found += _data_violations(validator, event["data"], where, event_type, event_id)
        return found


# ------------------------------------------------------------------ helpers


def _is_json_content_type(value: Any) -> bool:
    # "application/json; charset=utf-8" is JSON too.
    return (
        type(value) is str
        and value.split(";", 1)[0].strip().lower() == CONTENT_TYPE_JSON
    )


def _load_json(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: cannot read the schema ({exc})") from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{file}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); fix the schema file"
        ) from None
    if not isinstance(schema, dict):
        raise UsageError(f"{file}: a schema must be a JSON object, got {_json_type(schema)}")
    return schema


def _load_modes(file: Path) -> tuple[str, dict[str, str]]:
    if not file.is_file():
        return DEFAULT_MODE, {}
    try:
        config = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{file}: not valid TOML ({exc}); fix the file") from None
    default = config.get("default", DEFAULT_MODE)
    types = config.get("types", {})
    if not isinstance(default, str) or default not in MODES:
        raise UsageError(f"{file}: default = {default!r} is not one of {', '.join(MODES)}")
    if not isinstance(types, dict):
        raise UsageError(f"{file}: [types] must be a table of \"<event type>\" = \"MODE\"")
    for event_type, mode in types.items():
        if not isinstance(mode, str) or mode not in MODES:
            raise UsageError(
                f"{file}: {event_type} = {mode!r} is not one of {', '.join(MODES)}"
            )
    return default, dict(types)


def _check_schema(schema: dict[str, Any], where: str, event_type: str, version: int) -> None:
    declared = schema.get("$schema")
    if declared is not None and (
        not isinstance(declared, str) or declared.rstrip("#") != DRAFT_2020_12
    ):
        raise UsageError(
            f"{where}: $schema is {declared!r}; accord's event schemas are JSON Schema 2020-12 "
            f"({DRAFT_2020_12})"
        )
    meta = dict(schema)
    meta["$schema"] = DRAFT_2020_12
    try:
        jsonschema_rs.meta.validate(meta)
    except jsonschema_rs.ValidationError as exc:
        pointer = _pointer(exc.instance_path)
        raise UsageError(
            f"{where}: not a valid JSON Schema 2020-12 at {pointer or '/'}: {exc.message}"
        ) from None
    expected_id = dataschema_uri(event_type, version)
    if "$id" in schema and schema["$id"] != expected_id:
        raise UsageError(
            f"{where}: $id is {schema['$id']!r}, expected {expected_id!r} for this type and version"
        )


def _compile_or_explain(schema: dict[str, Any], where: str) -> Any:
    try:
        return _compile(schema)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        reason = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise UsageError(f"{where}: cannot compile the schema ({reason})") from None


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: Any, prefix: str = "") -> str:
    return prefix + "".join("/" + _escape(token) for token in path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: Any) -> str:
    """A short JSON rendering of a value for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return text


def _got(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"{_json_type(value)} {_show(value)}"
    return f"{_json_type(value)} {_show(value)}" if not isinstance(value, str) else _show(value)


def _data_violations(
    validator: Any, data: Any, where: str | None, event_type: str | None, event_id: str | None
) -> list[SchemaViolation]:
    found: list[SchemaViolation] = []
    try:
        errors = list(validator.iter_errors(data))
    except ValueError as exc:  # a Python value JSON has no type for (datetime, set, ...)
        return [SchemaViolation(where, event_type, event_id, "/data", "type",
                                f"not JSON data ({exc})")]
    for error in errors:
        schema_path = list(error.schema_path)
        keyword = str(schema_path[-1]) if schema_path else "schema"
        pointer = _pointer(error.instance_path, "/data")
        details = error.kind.as_dict()
        actual = error.instance
        if keyword == "required":
            found.append(SchemaViolation(
                where, event_type, event_id, f"{pointer}/{_escape(details['property'])}",
                keyword, "required property missing"))
            continue
        if keyword == "additionalProperties" and "unexpected" in details:
            for name in details["unexpected"]:
                found.append(SchemaViolation(
                    where, event_type, event_id, f"{pointer}/{_escape(name)}", keyword,
                    "property not allowed (the schema lists every property: "
                    "additionalProperties is false)"))
            continue
        found.append(SchemaViolation(
            where, event_type, event_id, pointer, keyword,
            _reason(keyword, details, actual, error.message)))
    return found


def _count(limit: Any, noun: str) -> str:
    return f"{limit} {noun}" if limit == 1 else f"{limit} {noun}s"


def _reason(keyword: str, details: dict[str, Any], actual: Any, fallback: str) -> str:
    got = _got(actual)
    if keyword == "type":
        types = details.get("types") or [details.get("type")]
        return f"expected {' or '.join(str(t) for t in types)}, got {got}"
    if keyword == "format":
        return f"expected a {details.get('format')} string, got {got}"
    if keyword == "pattern":
        return f"expected a string matching {details.get('pattern')}, got {got}"
    if keyword == "const":
        return f"expected {_show(details.get('expected_value'))}, got {got}"
    if keyword == "enum":
        return f"expected one of {_show(details.get('options'))}, got {got}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
                "exclusiveMaximum": "<"}[keyword]
        return f"expected {sign} {details.get('limit')}, got {got}"
    if keyword in ("minLength", "maxLength") and isinstance(actual, str):
        bound = "at least" if keyword == "minLength" else "at most"
        limit = _count(details.get("limit"), "character")
        return f"expected {bound} {limit}, got {len(actual)}: {got}"
    if keyword in ("minItems", "maxItems") and isinstance(actual, list):
        bound = "at least" if keyword == "minItems" else "at most"
        return f"expected {bound} {_count(details.get('limit'), 'item')}, got {len(actual)}"
    return fallback
