"""Errors raised when a provider breaks a consumer contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accord.errors import ViolationError

__all__ = ["ContractViolationError", "Mismatch"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One difference between what a consumer expects and what the provider produced.

    Attributes:
        consumer: The consumer whose contract is broken, e.g. ``shipping``.
        provider: The provider under verification, e.g. ``order``.
        interaction: The interaction's description in the pact.
        path: Where it differs: a JSON path into the body (``$.lines[0].item.price``),
            ``metadata.<key>`` for a message header, or ``status``/``header.<name>`` for HTTP.
        message: Pact's explanation, e.g. ``Expected '1.0' to match '^-?\\d+\\.\\d{2}$'``.
        kind: Pact's mismatch type (``BodyMismatch``, ``MetadataMismatch``, ...).
        pending: True when the contract is pending, so the mismatch does not fail the build.
    """

    consumer: str
    provider: str
    interaction: str
    path: str
    message: str
    kind: str = ""
    pending: bool = False

    def __str__(self) -> str:
        flag = " (pending: not failing the build)" if self.pending else ""
        return (
            f"consumer {self.consumer!r}, interaction {self.interaction!r}, "
            f"at {self.path}: {self.message}{flag}"
        )


class ContractViolationError(ViolationError):
    """A provider does not satisfy a consumer's contract.

    The first mismatch names the ``consumer``, the ``interaction`` and the JSON ``path``;
    ``mismatches`` holds all of them.
    """

    def __init__(self, provider: str, mismatches: Sequence[Mismatch]) -> None:
        if not mismatches:
            raise ValueError("ContractViolationError needs at least one mismatch")
        self.provider = provider
        self.mismatches = tuple(mismatches)
        first = self.mismatches[0]
        self.consumer = first.consumer
        self.interaction = first.interaction
        self.path = first.path
        consumers = sorted({m.consumer for m in self.mismatches})
        lines = [
            f"provider {provider!r} breaks the contract of {', '.join(consumers)} "
            f"({len(self.mismatches)} mismatch{'es' if len(self.mismatches) > 1 else ''}):"
        ]
        lines += [f"  - {m}" for m in self.mismatches]
        lines.append(
            "  Fix the provider, or agree the change with the consumer first "
            "(`accord contracts impact` shows who uses which field)."
        )
        super().__init__("\n".join(lines))
