"""What the engine is configured with and reads: expectations, event times, their errors.

Shared by the fast engine (:mod:`accord.consistency._engine`) and the plain reference
(:mod:`accord.consistency._reference`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from accord._durations import format_duration
from accord.errors import UsageError

__all__ = ["EventError", "Expectation", "parse_time", "rfc3339"]

_US = timedelta(microseconds=1)
_EPOCH_MIN = datetime.min.replace(tzinfo=UTC)
_EPOCH_MAX = datetime.max.replace(tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_fromisoformat = datetime.fromisoformat


class EventError(UsageError):
    """An event the engine cannot use (no time, bad time, no id, no key).

    The message does not name a location; ``where`` holds what the caller passed with the
    event to :meth:`ConsistencyEngine.add_located` (a line number, a Location), so the
    caller can prefix it.
    """

    where: Any = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """An event type every trigger must produce within a limit.

    Args:
        type: the expected CloudEvent type, e.g. ``invoice.created``.
        within_s: the limit in seconds (latency <= limit is ``ok``).
        key_pointer: JSON pointer to the correlation key in events of this type; by default
            their ``partitionkey`` attribute.
    """

    type: str
    within_s: float
    key_pointer: str | None = None

    def __post_init__(self) -> None:
        if not self.type:
            raise UsageError("an expectation needs an event type, e.g. invoice.created=60s")
        if not (math.isfinite(self.within_s) and self.within_s >= 0):
            raise UsageError(
                f"expectation {self.type}: limit {self.within_s!r} must be a finite number "
                "of seconds >= 0"
            )


def parse_time(value: Any) -> datetime:
    """Parse an RFC 3339 time with any offset (``Z``, ``+02:00``; ``T``/``t``/space).

    Raises:
        EventError: when ``value`` is not an RFC 3339 time with an offset.
    """
    try:
        moment = _fromisoformat(value)
    except (ValueError, TypeError):
        moment = _parse_time_slow(value)
    if moment.tzinfo is None:
        raise EventError(f"time {value!r} has no UTC offset: add 'Z' or '+HH:MM' (RFC 3339)")
    return moment


def _parse_time_slow(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            # RFC 3339 allows lower-case 't' and 'z', which fromisoformat refuses.
            return _fromisoformat(value.upper())
        except ValueError:
            pass
    raise EventError(
        f"time {value!r} is not an RFC 3339 time: use e.g. 2026-01-31T12:00:00Z or "
        "2026-01-31T14:00:00+02:00"
    )


def rfc3339(moment: datetime) -> str:
    """Like :func:`accord.events.rfc3339` (UTC, microseconds, ``Z``), but faster."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _fmt_s(us: int, apart_from_us: int | None = None) -> str:
    """Microseconds as every view writes a duration (a latency never reads as its limit)."""
    other = None if apart_from_us is None else apart_from_us / 1_000_000
    return format_duration(us / 1_000_000, apart_from=other)


def _describe(event: Mapping[str, Any]) -> str:
    return f"{event.get('type') or 'event'} {event.get('id')!r}"

