"""Violations and the ``agree`` comparison: the dicts a report lists, and how values differ."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

# msgspec, not orjson: orjson's output keeps its whole write buffer (about 4 KiB) allocated
from msgspec.json import decode as _loads
from msgspec.json import encode as _dumps

from accord.consistency._model import rfc3339
from accord.consistency._pointer import ABSENT, json_equal


def _violation_order(v: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (v["time"], v["kind"], v["type"], v["key"])


def _violation(
    kind: str, type_: str, key: str, moment: datetime, detail: str, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": kind, "type": type_, "key": key, "detail": detail, "time": rfc3339(moment)
    }
    out.update(extra)
    return out


def _differences(
    trigger_info: Any, match_info: Any, pairs: list[tuple[int, str, str]]
) -> list[str]:
    trigger_values = trigger_info[2] if trigger_info is not None else ()
    match_values = match_info[2] if match_info is not None else ()
    out = []
    for j, (t_index, t_pointer, m_pointer) in enumerate(pairs):
        a = trigger_values[t_index] if t_index < len(trigger_values) else ABSENT
        b = match_values[j] if j < len(match_values) else ABSENT
        if a is ABSENT and b is ABSENT:
            continue
        # the same JSON text is the same value (the common case); else compare the values
        # (members in another order, 1 and 1.0 are equal)
        if a is not ABSENT and b is not ABSENT and (a == b or json_equal(_loads(a), _loads(b))):
            continue
        out.append(f"{m_pointer} = {_show(b)} but trigger {t_pointer} = {_show(a)}")
    return out


def _same_texts(kept: list[Any], checks: list[tuple[int, list[tuple[int, int]]]]) -> bool:
    """Whether every agree pair of a complete key has the same JSON text (or is absent) on
    both sides: then nothing differs (else :func:`_differences` looks closer)."""
    trigger = kept[0][2]
    for position, indices in checks:
        match = kept[position]
        if match is None:
            continue
        values = match[2]
        for t, j in indices:
            if trigger[t] != values[j]:  # ABSENT only equals itself
                return False
    return True


def _kept(value: Any) -> Any:
    """An agreed value as the engine keeps it until its key is final: its JSON text (a few
    dozen bytes instead of a tree of objects), or ABSENT."""
    return ABSENT if value is ABSENT else _dumps(value)


def _show(value: Any) -> str:
    """A kept value (see :func:`_kept`) for a message, shortened to 80 characters."""
    if value is ABSENT:
        return "(absent)"
    text: str = value.decode()
    return text if len(text) <= 80 else text[:77] + "..."


def _deadline(t0: datetime | None, limit_us: int) -> str | None:
    """When a key pending since ``t0`` becomes missing (None: no such key, or past year 9999)."""
    if t0 is None:
        return None
    try:
        return rfc3339(t0 + timedelta(microseconds=limit_us))
    except OverflowError:
        return None

