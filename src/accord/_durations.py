"""Durations as people type them: ``60s``, ``2m``, ``500ms``, ``1.5h``.

One parser for every option and config key that takes a time span, so ``--within 2m``,
``--expect invoice.created=60s`` and ``[tool.accord]`` all mean the same thing.
"""

from __future__ import annotations

import argparse
import math
import re

from accord.errors import UsageError

__all__ = ["duration_type", "format_duration", "parse_duration"]

#: Seconds per unit; ``m`` is minutes (``ms`` is milliseconds).
_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_PATTERN = re.compile(r"\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-z]*)\s*", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Parse a duration into seconds.

    A number followed by one of ``ms``, ``s``, ``m`` (or ``min``), ``h``, ``d``; a bare
    number means seconds. Fractions are allowed (``1.5s``); negative values are not.

    Args:
        text: what the user typed, e.g. ``"60s"``.

    Returns:
        The duration in seconds.

    Raises:
        UsageError: when ``text`` is not a duration.
    """
    match = _PATTERN.fullmatch(text)
    unit = match.group("unit").lower() if match else ""
    if match is None or (unit and unit not in _UNITS):
        raise UsageError(
            f"{text!r} is not a duration: use a number with a unit, e.g. 500ms, 60s, 2m, 1h"
        )
    seconds = float(match.group("number")) * _UNITS.get(unit, 1.0)
    if not math.isfinite(seconds):
        raise UsageError(f"{text!r} is too large a duration")
    return seconds


def duration_type(text: str) -> float:
    """:func:`parse_duration` for argparse's ``type=``: a bad value is a usage error."""
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def format_duration(seconds: float) -> str:
    """Format seconds the short way people read them: ``850ms``, ``12.3s``, ``2m05s``."""
    if seconds < 1.0:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60.0:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
