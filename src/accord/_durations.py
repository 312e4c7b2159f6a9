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


def _trim(number: float, digits: int) -> str:
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _finite(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _format(value: float, extra: int) -> str:
    if value < 0:
        return "-" + _format(-value, extra)
    if value == 0:
        return "0s"
    if value < 0.001 and round(value * 1e6, extra) < 1000:
        return f"{_trim(value * 1e6, extra)}us"
    if value < 1.0 and round(value * 1000, (1 if value < 0.01 else 0) + extra) < 1000:
        return f"{_trim(value * 1000, (1 if value < 0.01 else 0) + extra)}ms"
    if value < 100.0 and round(value, (2 if value < 10 else 1) + extra) < 100:
        return f"{_trim(value, (2 if value < 10 else 1) + extra)}s"
    if extra:
        # Minutes and hours have no decimals: the seconds beyond them tell the values apart.
        return f"{_format(value, 0)} ({_trim(value, extra)}s)"
    total = round(value)
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes}m" + (f"{rest:02d}s" if rest else "")
    minutes = round(value / 60)
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours}h" + (f"{rest:02d}m" if rest else "")
    hours = round(value / 3600)
    days, rest = divmod(hours, 24)
    return f"{days}d" + (f"{rest}h" if rest else "")


def format_duration(seconds: object, *, apart_from: float | None = None) -> str:
    """Seconds the one way every view of accord writes them.

    ``850us``, ``12ms``, ``2.5ms``, ``1.53s``, ``12.3s``, ``60s``, ``5m30s``, ``1h05m``,
    ``3d4h``: at most three significant digits below 100 s, whole units above. A limit
    typed as ``60s`` reads ``60s`` again. ``None`` (no value yet), NaN or anything that is
    not a number reads ``-``.

    Args:
        seconds: the duration in seconds.
        apart_from: another duration the text must not be confused with (a limit): when
            both would read the same (``1.000001s`` and ``1s``), digits are added until
            they differ, so a late latency never reads as its limit.

    Returns:
        The text, e.g. ``"1.53s"``.
    """
    value = _finite(seconds)
    if value is None:
        return "-"
    text = _format(value, 0)
    other = _finite(apart_from)
    if other is None or other == value:
        return text
    extra = 0
    while text == _format(other, extra) and extra < 9:
        extra += 1
        text = _format(value, extra)
    return text
