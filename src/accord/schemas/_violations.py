from __future__ import annotations

from dataclasses import dataclass

from accord.errors import ViolationError


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way an event breaks its contract.

    Attributes:
        where: where the event was read (``file:line``, ``topic/partition@offset``), if known.
        event_type: the event's ``type`` attribute, if it has a usable one.
        event_id: the event's ``id`` attribute, if it has a usable one.
        pointer: JSON pointer into the structured CloudEvent, e.g. ``/data/lines/0/item/price``
            or ``/time``; ``""`` for the event as a whole.
        keyword: the JSON Schema keyword (``type``, ``required``, ``format``, ...) or envelope
            rule (``specversion``, ``partitionkey``, ``dataschema``, ...) that failed.
        message: what was expected and what was found.
    """

    where: str | None
    event_type: str | None
    event_id: str | None
    pointer: str
    keyword: str
    message: str

    def __str__(self) -> str:
        """One line: ``where: type id: pointer: reason`` (``?`` for what is unknown)."""
        head = f"{self.event_type or '?'} {self.event_id or '?'}: {self.pointer or '/'}: "
        line = head + self.message
        return f"{self.where}: {line}" if self.where else line


class SchemaViolationError(ViolationError):
    """An event does not match its CloudEvents envelope rules or its data schema.

    The fields are those of the first violation; :attr:`violations` holds all of them.

    Attributes:
        event_type: the event's type, if known.
        event_id: the event's id, if known.
        where: where the event was read, if known.
        pointer: JSON pointer of the first violation.
        keyword: the failing keyword of the first violation.
        message: the reason of the first violation.
        violations: every violation found in the event.
    """

    def __init__(self, violations: list[SchemaViolation]) -> None:
        if not violations:
            raise ValueError("SchemaViolationError needs at least one violation")
        first = violations[0]
        self.violations = list(violations)
        self.event_type = first.event_type
        self.event_id = first.event_id
        self.where = first.where
        self.pointer = first.pointer
        self.keyword = first.keyword
        self.message = first.message
        text = str(first)
        if len(violations) > 1:
            text += f" (and {len(violations) - 1} more violation(s) in this event)"
        super().__init__(text)
