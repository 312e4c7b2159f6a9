"""Pact files as accord reads them: consumers, providers, interactions and the fields they use."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import UsageError

__all__ = ["Interaction", "PactDocument", "load_pacts", "pact_paths", "used_paths"]

_MESSAGE_TYPES = ("Asynchronous/Messages", "Synchronous/Messages")


@dataclass(frozen=True, slots=True)
class Interaction:
    """One interaction of a pact, reduced to what accord needs.

    Attributes:
        description: The interaction's description, unique within its pact.
        kind: ``message`` or ``http``.
        provider_states: Names of the provider states it needs.
        body: The example body (message contents or HTTP response body), parsed JSON.
        metadata: Message metadata (Kafka headers) the consumer expects; empty for HTTP.
        request: ``"GET /orders/..."`` for HTTP interactions, else ``None``.
        pending: The ``pending`` flag Pact V4 stores in the interaction.
    """

    description: str
    kind: str
    provider_states: tuple[str, ...] = ()
    body: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    request: str | None = None
    pending: bool = False

    @property
    def event_type(self) -> str | None:
        """The CloudEvents type the message carries (its ``ce_type`` metadata), if any."""
        value = self.metadata.get("ce_type")
        return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class PactDocument:
    """A parsed pact file."""

    consumer: str
    provider: str
    interactions: tuple[Interaction, ...]
    raw: Mapping[str, Any]
    path: Path | None = None

    @property
    def specification(self) -> str:
        """The Pact specification version, e.g. ``4.0``."""
        meta = self.raw.get("metadata", {})
        spec = meta.get("pactSpecification", {}) if isinstance(meta, Mapping) else {}
        return str(spec.get("version", "?")) if isinstance(spec, Mapping) else "?"

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> PactDocument:
        """Build a document from parsed pact JSON.

        Raises:
            UsageError: when consumer or provider names are missing.
        """
        where = str(path) if path else "pact"
        try:
            consumer = str(data["consumer"]["name"])
            provider = str(data["provider"]["name"])
        except (KeyError, TypeError):
            raise UsageError(
                f"{where}: not a pact file (no consumer.name/provider.name); "
                "pass files written by pact-python"
            ) from None
        interactions = tuple(
            _interaction(item) for item in data.get("interactions", data.get("messages", []))
        )
        return cls(consumer, provider, interactions, data, path)


def _interaction(item: Mapping[str, Any]) -> Interaction:
    states = tuple(str(s.get("name", "")) for s in item.get("providerStates", []) or [])
    if not states and item.get("providerState"):
        states = (str(item["providerState"]),)
    kind_name = str(item.get("type", ""))
    pending = bool(item.get("pending", False))
    description = str(item.get("description", ""))
    if kind_name in _MESSAGE_TYPES or "contents" in item:
        contents = item.get("contents", {})
        if kind_name == "Synchronous/Messages":
            contents = item.get("request", {}).get("contents", {})
        body = contents.get("content") if isinstance(contents, Mapping) else contents
        body = _maybe_json(body)
        metadata = dict(item.get("metadata", {}) or {})
        return Interaction(description, "message", states, body, metadata, None, pending)
    request = item.get("request", {})
    response = item.get("response", {})
    body = response.get("body")
    if isinstance(body, Mapping) and "content" in body:
        body = body["content"]
    line = f"{str(request.get('method', 'GET')).upper()} {request.get('path', '/')}"
    parsed = _maybe_json(body)
    if isinstance(parsed, str) and parsed.lstrip().startswith("<"):
        parsed = _xml_fields(parsed)
    return Interaction(description, "http", states, parsed, {}, line, pending)


def _xml_fields(text: str) -> Any:
    """An XML example body (an Atom feed) as nested dicts, so its fields can be listed.

    Elements become keys named with the document's own prefixes (``feed.entry.ac:position``;
    the default namespace has none), attributes ``@name`` keys, text the leaf value; a tag
    that repeats becomes a list. Text that is not XML stays as it is.
    """
    import re
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text, forbid_dtd=True)
    except (ParseError, DefusedXmlException):
        return text
    prefixes = {uri: prefix for prefix, uri in re.findall(r'xmlns:([\w.-]+)="([^"]+)"', text)}

    def name(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, local = tag[1:].split("}", 1)
        prefix = prefixes.get(uri)
        return f"{prefix}:{local}" if prefix else local

    def convert(element: Any) -> Any:
        children = list(element)
        if not children and not element.attrib:
            return (element.text or "").strip()
        node: dict[str, Any] = {f"@{name(k)}": v for k, v in element.attrib.items()}
        for child in children:
            key, value = name(child.tag), convert(child)
            if key in node:
                if not isinstance(node[key], list):
                    node[key] = [node[key]]
                node[key].append(value)
            else:
                node[key] = value
        return node

    return {name(root.tag): convert(root)}


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def pact_paths(sources: Iterable[str | Path]) -> list[Path]:
    """Expand directories into the ``*.json`` pact files they hold, sorted by name.

    Raises:
        UsageError: when a source does not exist.
    """
    found: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found.extend(sorted(path.glob("*.json")))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such pact file or directory; check the path")
    return found


def load_pacts(sources: Iterable[str | Path]) -> list[PactDocument]:
    """Read pact files (or directories of them).

    Raises:
        UsageError: when a file is unreadable, not JSON or not a pact.
    """
    documents = []
    for path in pact_paths(sources):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: cannot read pact file: {exc}") from None
        if not isinstance(data, Mapping):
            raise UsageError(f"{path}: not a pact file (top level is not an object)")
        documents.append(PactDocument.from_json(data, path))
    return documents


def used_paths(body: Any, prefix: str = "") -> Iterator[str]:
    """Yield the dotted paths of every field an example body contains.

    Arrays become ``[*]`` (``lines[*].item.price``); objects yield their own path and their
    children's, so a consumer that declares ``shippingAddress`` with all three children uses
    ``shippingAddress`` and ``shippingAddress.zip`` alike.
    """
    if isinstance(body, Mapping):
        for key, value in body.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from used_paths(value, path)
    elif isinstance(body, Sequence) and not isinstance(body, str | bytes) and body:
        yield from used_paths(body[0], f"{prefix}[*]")
