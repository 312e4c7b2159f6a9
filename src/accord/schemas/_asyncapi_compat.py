"""Schema evolution of AsyncAPI documents, with Confluent's JSON Schema rules.

:func:`check_asyncapi_contracts` checks the versions of each event type inside one document
(what ``accord schema compat --contracts asyncapi.yaml`` prints); :func:`compare_asyncapi`
compares two documents channel by channel and message by message
(``accord schema compat --asyncapi OLD NEW``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.schemas._asyncapi import AsyncApiContracts, MessageContract, load_asyncapi
from accord.schemas.compat import CompatResult, TypeReport, check_compatibility

__all__ = [
    "ChannelDiff",
    "DocumentDiff",
    "MessageDiff",
    "check_asyncapi_contracts",
    "compare_asyncapi",
]


def _by_type(contracts: AsyncApiContracts) -> dict[str, list[MessageContract]]:
    out: dict[str, list[MessageContract]] = {}
    for message in contracts.messages:
        versions = out.setdefault(message.event_type, [])
        if all(m.version != message.version for m in versions):
            versions.append(message)
    return {t: sorted(v, key=lambda m: m.version) for t, v in sorted(out.items())}


def check_asyncapi_contracts(document: str | Path, *, policy: str = "strict") -> list[TypeReport]:
    """Each event type's versions (oldest first) against the type's mode, as
    :func:`accord.schemas.compat.check_contracts` does for a directory."""
    contracts = load_asyncapi(document)
    reports = []
    for event_type, messages in _by_type(contracts).items():
        mode = contracts.mode(event_type)
        names = [f"{m.label} (v{m.version})" for m in messages]
        result = check_compatibility(
            [m.payload for m in messages], mode, names=names, policy=policy
        )
        reports.append(
            TypeReport(event_type, result.mode, [Path(m.where) for m in messages], result)
        )
    return reports


@dataclass
class MessageDiff:
    """One message of a channel in the old and/or the new document."""

    key: str
    status: str  # added, removed, changed, unchanged
    event_type: str
    version: int
    mode: str
    breaking: bool = False
    reason: str = ""
    payload: CompatResult | None = None
    record_key: CompatResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "eventType": self.event_type,
            "version": self.version,
            "mode": self.mode,
            "breaking": self.breaking,
            "reason": self.reason,
            "payload": None if self.payload is None else self.payload.to_dict(),
            "key": None if self.record_key is None else self.record_key.to_dict(),
        }


@dataclass
class ChannelDiff:
    """One channel: its address in each document and its messages."""

    key: str
    status: str  # added, removed, changed, unchanged
    address: tuple[str | None, str | None]
    breaking: bool = False
    reason: str = ""
    messages: list[MessageDiff] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "address": list(self.address),
            "breaking": self.breaking,
            "reason": self.reason,
            "messages": {m.key: m.to_dict() for m in self.messages},
        }


@dataclass
class DocumentDiff:
    """What :func:`compare_asyncapi` found; ``compatible`` when nothing is breaking."""

    old: str
    new: str
    policy: str
    channels: list[ChannelDiff]

    @property
    def breaking(self) -> list[str]:
        out = []
        for channel in self.channels:
            if channel.breaking:
                out.append(f"channel {channel.key}: {channel.reason}")
            out += [
                f"channel {channel.key} message {m.key}: {m.reason}"
                for m in channel.messages
                if m.breaking
            ]
        return out

    @property
    def compatible(self) -> bool:
        return not self.breaking

    def to_dict(self) -> dict[str, Any]:
        return {
            "compatible": self.compatible,
            "policy": self.policy,
            "old": self.old,
            "new": self.new,
            "channels": {c.key: c.to_dict() for c in self.channels},
        }

    def format_text(self) -> list[str]:
        lines = []
        for channel in self.channels:
            old, new = channel.address
            address = (
                new if new == old or old is None else (old if new is None else f"{old} -> {new}")
            )
            mark = "BREAKING: " if channel.breaking else ""
            lines.append(
                f"channel {channel.key} ({address}): {mark}{channel.status}"
                + (f": {channel.reason}" if channel.reason else "")
            )
            for m in channel.messages:
                mark = "BREAKING: " if m.breaking else ""
                lines.append(
                    f"  message {m.key} ({m.event_type} v{m.version}, {m.mode}): "
                    f"{mark}{m.status}" + (f": {m.reason}" if m.reason else "")
                )
                for result in (m.payload, m.record_key):
                    if result is None:
                        continue
                    what = "key" if result is m.record_key else "payload"
                    for change in result.breaking:
                        lines.append(f"    {what} {change.path}: {change.kind}: {change.message}")
                    for change in result.not_compared:
                        lines.append(f"    note: {what} {change.path}: {change.message}")
        count = len(self.breaking)
        if count:
            lines.append(
                f"INCOMPATIBLE: {self.new} breaks {self.old} with {count} breaking "
                f"change{'s' if count != 1 else ''}"
            )
        else:
            lenient = " (lenient policy)" if self.policy == "lenient" else ""
            lines.append(f"compatible: {self.new} may follow {self.old}{lenient}")
        return lines


def compare_asyncapi(
    old_document: str | Path, new_document: str | Path, *, policy: str = "strict"
) -> DocumentDiff:
    """Compare every channel and message of two AsyncAPI documents.

    A message present in both is checked old -> new under its type's mode (the new
    document's); a message added to a type that the old document already had (a new
    version) is checked against every old version of that type in that channel; the record
    key schemas (``bindings.kafka.key``) are checked the same way. Breaking: an incompatible
    payload or key, a channel removed or readdressed (its topic changes), and the last
    message of an event type removed from a channel (its consumers get nothing more).
    """
    old = load_asyncapi(old_document, allow_empty=True)
    new = load_asyncapi(new_document, allow_empty=True)
    # A channel whose key changed but whose address did not is the same topic: pair them.
    gone = [k for k in old.channels if k not in new.channels]
    fresh = [k for k in new.channels if k not in old.channels]
    renamed: dict[str, str] = {}
    for key in gone:
        same = [k for k in fresh if new.channels[k] == old.channels[key]]
        if len(same) == 1 and same[0] not in renamed.values():
            renamed[key] = same[0]
    pairs = [(k, renamed.get(k, k)) for k in old.channels]
    pairs += [(k, k) for k in fresh if k not in renamed.values()]
    channels = []
    for old_key, key in pairs:
        before, after = old.channels.get(old_key), new.channels.get(key)
        old_messages = {m.message: m for m in old.messages if m.channel == old_key}
        new_messages = {m.message: m for m in new.messages if m.channel == key}
        if after is None:
            channels.append(
                ChannelDiff(
                    old_key,
                    "removed",
                    (before, None),
                    True,
                    f"topic {before} is gone from {new_document}",
                )
            )
            continue
        if before is None:
            diff = ChannelDiff(key, "added", (None, after))
        elif before != after:
            diff = ChannelDiff(
                key,
                "changed",
                (before, after),
                True,
                f"address {before} -> {after}: producers and consumers of {before} lose each other",
            )
        elif old_key != key:
            diff = ChannelDiff(
                key, "changed", (before, after), False, f"renamed from {old_key} (same address)"
            )
        else:
            diff = ChannelDiff(key, "unchanged", (before, after))
        for message_key in [*old_messages, *(k for k in new_messages if k not in old_messages)]:
            diff.messages.append(
                _message(
                    old_messages.get(message_key),
                    new_messages.get(message_key),
                    old_messages,
                    new,
                    key,
                    message_key,
                    policy,
                )
            )
        if diff.status == "unchanged" and any(m.status != "unchanged" for m in diff.messages):
            diff.status = "changed"
        channels.append(diff)
    return DocumentDiff(str(old_document), str(new_document), policy.strip().lower(), channels)


def _message(
    before: MessageContract | None,
    after: MessageContract | None,
    old_messages: dict[str, MessageContract],
    new: AsyncApiContracts,
    channel: str,
    key: str,
    policy: str,
) -> MessageDiff:
    if after is None:
        assert before is not None
        remaining = [
            m for m in new.messages if m.channel == channel and m.event_type == before.event_type
        ]
        diff = MessageDiff(
            key, "removed", before.event_type, before.version, new.mode(before.event_type)
        )
        if not remaining:
            diff.breaking = True
            diff.reason = (
                f"no message of {before.event_type} is left on the channel; its "
                "consumers get nothing more"
            )
        else:
            diff.reason = f"v{before.version} is no longer listed (newer versions remain)"
        return diff
    mode = new.mode(after.event_type)
    if before is None:
        earlier = sorted(
            (m for m in old_messages.values() if m.event_type == after.event_type),
            key=lambda m: m.version,
        )
        diff = MessageDiff(key, "added", after.event_type, after.version, mode)
        if not earlier:
            diff.reason = "a new event type on this channel"
            return diff
        if not mode.endswith("_TRANSITIVE"):
            earlier = earlier[-1:]  # Confluent: only the latest version for a plain mode
        versions = ", ".join(f"v{m.version}" for m in earlier)
        diff.payload = check_compatibility(
            [*(m.payload for m in earlier), after.payload],
            mode,
            policy=policy,
            names=[*(f"OLD v{m.version}" for m in earlier), f"NEW v{after.version}"],
        )
        diff.reason = f"a new version, checked against {versions}"
        diff.record_key = _keys([m.key for m in earlier], after.key, mode, policy)
    else:
        changed = (
            before.payload != after.payload
            or before.key != after.key
            or (before.event_type != after.event_type)
        )
        diff = MessageDiff(
            key, "changed" if changed else "unchanged", after.event_type, after.version, mode
        )
        if before.event_type != after.event_type:
            diff.breaking = True
            diff.reason = (
                f"the event type changed from {before.event_type} to "
                f"{after.event_type}; consumers of {before.event_type} ignore it"
            )
            return diff
        if before.payload != after.payload:
            diff.payload = check_compatibility(
                [before.payload, after.payload], mode, policy=policy, names=["OLD", "NEW"]
            )
        diff.record_key = _keys([before.key], after.key, mode, policy)
    problems = [
        what
        for what, result in (("payload", diff.payload), ("key", diff.record_key))
        if result is not None and not result.compatible
    ]
    if problems:
        diff.breaking = True
        verb = "breaks" if len(problems) == 1 else "break"
        diff.reason = f"{' and '.join(problems)} {verb} {mode}"
    elif diff.status == "changed":
        diff.reason = f"compatible under {mode}"
    return diff


def _keys(
    before: list[dict[str, Any] | None], after: dict[str, Any] | None, mode: str, policy: str
) -> CompatResult | None:
    olds = [k for k in before if k is not None]
    if after is None or not olds or all(k == after for k in olds):
        return None
    names = [*(f"OLD key {i + 1}" for i in range(len(olds))), "NEW key"]
    return check_compatibility([*olds, after], mode, policy=policy, names=names)
