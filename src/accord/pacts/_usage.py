"""Who uses what: the matrix of event fields by consumer, read from pact files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.pacts._model import PactDocument, used_paths

__all__ = ["format_usage_markdown", "usage_matrix"]


def usage_matrix(pacts: Sequence[PactDocument]) -> dict[str, Any]:
    """Collect which consumer uses which field of which message or HTTP response.

    Returns:
        ``{"messages": {event_type: {"provider", "consumers", "fields": {path: [consumer]}}},
        "http": {"<provider> <METHOD path>": {...same...}}}``. Message field paths start with
        ``data.`` (the CloudEvent payload, i.e. the Kafka record value) or ``metadata.`` (a
        Kafka header the consumer needs, e.g. ``metadata.ce_type``); HTTP paths with ``body.``.
    """
    messages: dict[str, dict[str, Any]] = {}
    http: dict[str, dict[str, Any]] = {}
    for pact in pacts:
        for interaction in pact.interactions:
            if interaction.kind == "message":
                key = interaction.event_type or interaction.description
                paths = [f"data.{p}" for p in used_paths(interaction.body)]
                # Pact itself adds ``contentType`` (from the body's content type): not a header.
                paths += [f"metadata.{k}" for k in interaction.metadata if k != "contentType"]
                table = messages
            else:
                key = f"{pact.provider} {interaction.request}"
                paths = [f"body.{p}" for p in used_paths(interaction.body)]
                table = http
            entry = table.setdefault(
                key, {"provider": pact.provider, "consumers": [], "fields": {}}
            )
            if pact.consumer not in entry["consumers"]:
                entry["consumers"].append(pact.consumer)
            for path in paths:
                users = entry["fields"].setdefault(path, [])
                if pact.consumer not in users:
                    users.append(pact.consumer)
    for table in (messages, http):
        for entry in table.values():
            entry["consumers"].sort()
            entry["fields"] = {p: sorted(c) for p, c in sorted(entry["fields"].items())}
    return {
        "messages": dict(sorted(messages.items())),
        "http": dict(sorted(http.items())),
    }


def format_usage_markdown(matrix: dict[str, Any]) -> str:
    """Render :func:`usage_matrix` as Markdown tables, one per message type / HTTP request."""
    out: list[str] = []
    sections = [("Message", matrix["messages"]), ("HTTP", matrix["http"])]
    for title, table in sections:
        for name, entry in table.items():
            consumers: list[str] = entry["consumers"]
            out.append(f"## {title} `{name}` (provider: {entry['provider']})")
            out.append("")
            out.append("| field | " + " | ".join(consumers) + " |")
            out.append("|---|" + "---|" * len(consumers))
            for path, users in entry["fields"].items():
                marks = ["✓" if c in users else "" for c in consumers]
                out.append(f"| `{path}` | " + " | ".join(marks) + " |")
            if not entry["fields"]:
                out.append("| _(status only)_ | " + " | ".join("✓" for _ in consumers) + " |")
            out.append("")
    if not out:
        return "No interactions found in the pacts.\n"
    return "\n".join(out)
