"""Provider verification: replay every consumer's pact against the real provider code.

Message interactions are produced by the provider's own Kafka serialisation (the
:class:`~accord.events.KafkaMessage` its outbox relay would send): the record value is the
message contents and the record headers are the message metadata. HTTP interactions are
replayed against the provider's HTTP server. pact-python 4 (the Rust verifier) does the
matching; accord turns its result into :class:`VerificationResult` and
:class:`~accord.pacts.ContractViolationError`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from accord.events import KafkaMessage
from accord.pacts._errors import ContractViolationError, Mismatch

if TYPE_CHECKING:
    from pact.types import Message

__all__ = [
    "InteractionOutcome",
    "ProviderUnderTest",
    "VerificationResult",
    "pact_message",
    "verify_provider",
]


@runtime_checkable
class ProviderUnderTest(Protocol):
    """What the verifier needs from a provider (see ``accord.pacts.reference`` for one).

    Attributes:
        name: The provider's pacticipant name, e.g. ``order``.
        http_url: Base URL of its HTTP API on 127.0.0.1, or ``None`` when it has none.
    """

    name: str
    http_url: str | None

    def state(self, state: str, action: str, parameters: Mapping[str, Any]) -> None:
        """Set up (``action == "setup"``) or tear down a provider state."""

    def message(self, description: str, metadata: Mapping[str, Any]) -> KafkaMessage:
        """Produce the record the provider would send for the message ``description``."""


def pact_message(record: KafkaMessage) -> dict[str, Any]:
    """Turn a Kafka record into the message pact-python's verifier compares.

    The value is the contents; every header (``ce_type``, ``content-type``, ...) becomes
    metadata with its UTF-8 text as the value, exactly what a consumer reads off the record.
    """
    metadata = {name: value.decode("utf-8", errors="replace") for name, value in record.headers}
    metadata.setdefault("kafka_key", record.key.decode("utf-8", errors="replace"))
    return {
        "contents": record.value,
        "metadata": metadata,
        "content_type": metadata.get("content-type", "application/json"),
    }


@dataclass(frozen=True, slots=True)
class InteractionOutcome:
    """The verdict on one interaction of one consumer's pact."""

    consumer: str
    provider: str
    description: str
    ok: bool
    pending: bool
    mismatches: tuple[Mismatch, ...] = ()


@dataclass(slots=True)
class VerificationResult:
    """Everything one verification run found.

    ``ok`` is False when any non-pending interaction failed; pending contracts are reported
    but do not fail the build (as in Pact).
    """

    provider: str
    outcomes: list[InteractionOutcome]
    output: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.ok or o.pending for o in self.outcomes)

    @property
    def mismatches(self) -> list[Mismatch]:
        return [m for o in self.outcomes for m in o.mismatches]

    def consumer_ok(self, consumer: str) -> bool:
        """Whether every interaction of ``consumer`` passed (pending or not)."""
        return all(o.ok for o in self.outcomes if o.consumer == consumer)

    @property
    def consumers(self) -> list[str]:
        return sorted({o.consumer for o in self.outcomes})

    def raise_for_violations(self) -> None:
        """Raise :class:`ContractViolationError` for the non-pending mismatches, if any."""
        failing = [m for o in self.outcomes if not o.ok and not o.pending for m in o.mismatches]
        if failing:
            raise ContractViolationError(self.provider, failing)

    def summary(self) -> str:
        lines = []
        for o in self.outcomes:
            verdict = "OK" if o.ok else ("FAILED (pending)" if o.pending else "FAILED")
            lines.append(f"  {o.consumer:<12} {o.description:<50} {verdict}")
            lines += [f"      {m.path}: {m.message}" for m in o.mismatches]
        return "\n".join(lines)


_MISSING_KEYS = re.compile(r"^Actual map is missing the following keys: (.+)$")


def _mismatches(
    entry: Mapping[str, Any], consumer: str, provider: str, description: str, pending: bool
) -> tuple[Mismatch, ...]:
    found: list[Mismatch] = []
    mismatch = entry.get("mismatch")
    if not isinstance(mismatch, Mapping):
        if entry.get("result") != "OK":
            found.append(
                Mismatch(
                    consumer, provider, description, "$", "verification error", "Error", pending
                )
            )
        return tuple(found)
    if mismatch.get("type") == "error":
        found.append(
            Mismatch(
                consumer,
                provider,
                description,
                "$",
                str(mismatch.get("message", "verification error")),
                "Error",
                pending,
            )
        )
    for item in mismatch.get("mismatches", []) or []:
        kind = str(item.get("type", ""))
        if item.get("path"):
            path = str(item["path"])
        elif item.get("key"):
            path = f"metadata.{item['key']}"
        elif kind == "StatusMismatch":
            path = "status"
        elif item.get("parameter"):
            path = f"header.{item['parameter']}"
        else:
            path = "$"
        text = str(item.get("mismatch") or item.get("message") or kind)
        missing = _MISSING_KEYS.match(text)
        if missing:
            # One mismatch per missing field, so the error names each JSON path.
            for key in (k.strip() for k in missing.group(1).split(",")):
                found.append(
                    Mismatch(
                        consumer,
                        provider,
                        description,
                        f"{path}.{key}",
                        f"missing field {key!r} (the consumer uses it)",
                        kind,
                        pending,
                    )
                )
            continue
        found.append(Mismatch(consumer, provider, description, path, text, kind, pending))
    return tuple(found)


@contextlib.contextmanager
def _captured_fds(enabled: bool) -> Iterator[list[str]]:
    """Capture what the Rust verifier and pact's helper servers write to fd 1 and 2."""
    sink: list[str] = []
    if not enabled:
        yield sink
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        try:
            os.dup2(tmp.fileno(), 1)
            os.dup2(tmp.fileno(), 2)
            yield sink
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            tmp.seek(0)
            sink.append(tmp.read().decode("utf-8", errors="replace"))


def verify_provider(
    provider: ProviderUnderTest,
    sources: Sequence[str | Path],
    *,
    pending_consumers: Collection[str] = (),
    consumers: Collection[str] = (),
    quiet: bool = True,
    raises: bool = False,
) -> VerificationResult:
    """Verify ``provider`` against the consumer pacts in ``sources``.

    Args:
        provider: The provider, with its message producer, state handler and HTTP URL.
        sources: Pact files, directories of them, or URLs (e.g. a Pact Broker's pact URL).
        pending_consumers: Consumers whose contracts are pending: their failures are
            reported but do not make the result fail.
        consumers: Only verify these consumers' pacts (all when empty).
        quiet: Capture the verifier's own console output into ``result.output``.
        raises: Raise :class:`ContractViolationError` on a failing, non-pending interaction.

    Raises:
        ContractViolationError: with ``raises=True``, naming consumer, interaction and path.
    """
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    from pact import Verifier

    verifier = Verifier(provider.name, host="127.0.0.1")

    def produce(name: str, metadata: dict[str, Any] | None) -> Message:
        if failing_now:
            raise RuntimeError("; ".join(failing_now))
        return cast("Message", pact_message(provider.message(name, metadata or {})))

    state_errors: dict[str, str] = {}
    failing_now: list[str] = []

    def set_state(state: str, action: str, parameters: dict[str, Any] | None) -> None:
        if action == "teardown":
            failing_now.clear()
        try:
            provider.state(state, action, parameters or {})
        except Exception as exc:
            # Not re-raised: pact retries a failing state change for about two minutes and
            # then only says "a state change handler has failed". The interaction fails
            # instead (its message is refused) and is reported with this reason.
            state_errors[state] = f"provider state {state!r} failed: {exc}"
            if action == "setup":
                failing_now.append(state_errors[state])

    verifier.message_handler(produce)
    verifier.state_handler(set_state, teardown=True)
    if provider.http_url:
        verifier.add_transport(url=provider.http_url)
    verifier.set_coloured_output(enabled=False)
    if consumers:
        verifier.filter_consumers(*consumers)
    for source in sources:
        verifier.add_source(source if "://" in str(source) else Path(source))
    # verify() raises RuntimeError when an interaction fails; the details are in .results.
    with _captured_fds(quiet) as captured, contextlib.suppress(RuntimeError):
        verifier.verify()
    raw = verifier.results
    output = captured[0] if captured else "\n".join(raw.get("output", []))
    pending = set(pending_consumers)
    outcomes = []
    for entry in raw.get("interactionResults", []) or []:
        consumer = str(entry.get("consumer", "?"))
        description = str(entry.get("description", "?"))
        is_pending = consumer in pending or bool(entry.get("pending"))
        ok = entry.get("result") == "OK"
        found = () if ok else _mismatches(entry, consumer, provider.name, description, is_pending)
        states = entry.get("providerStates") or []
        reasons = [state_errors[str(st)] for st in states if str(st) in state_errors]
        if reasons and not ok:
            # The mismatches are consequences (no message, or an empty database): name the cause.
            found = (
                Mismatch(
                    consumer,
                    provider.name,
                    description,
                    "providerState",
                    "; ".join(reasons),
                    "StateChangeError",
                    is_pending,
                ),
            )
        outcomes.append(
            InteractionOutcome(consumer, provider.name, description, ok, is_pending, found)
        )
    if not outcomes and raw.get("errors"):
        for error in raw["errors"]:
            outcomes.append(
                InteractionOutcome(
                    "?",
                    provider.name,
                    str(error.get("interaction", "?")),
                    False,
                    False,
                    (
                        Mismatch(
                            "?",
                            provider.name,
                            str(error.get("interaction", "?")),
                            "$",
                            str(error.get("mismatch", error)),
                            "Error",
                        ),
                    ),
                )
            )
    result = VerificationResult(provider.name, outcomes, output, raw)
    if raises:
        result.raise_for_violations()
    return result
