"""Checks for strings that come from outside (HTTP bodies, events)."""

from __future__ import annotations

import re

__all__ = ["clean_text"]

# Control characters (NUL above all) break PostgreSQL text columns; refuse them at the edge.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str, *, field: str) -> str:
    """Return ``value`` if it is printable UTF-8 text; raise ``ValueError`` naming ``field``."""
    if _CONTROL.search(value):
        raise ValueError(f"{field}: control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{field}: not valid Unicode text (lone surrogate)") from None
    return value
