"""Exact money: :class:`~decimal.Decimal` in, two-decimal strings out (``"12.30"``)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["CENT", "format_money", "parse_money"]

CENT = Decimal("0.01")
#: The money pattern of the v1 event schemas.
_MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")


def format_money(amount: Decimal) -> str:
    """``Decimal("12.3")`` -> ``"12.30"``; never scientific notation."""
    return format(amount.quantize(CENT, rounding=ROUND_HALF_EVEN), "f")


def parse_money(text: object) -> Decimal:
    """Parse a money string such as ``"19.99"`` (exactly two decimals, as the event schemas
    say); raise ``ValueError`` for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"money must be a string like '19.99', got {type(text).__name__}")
    if not _MONEY.fullmatch(text):
        raise ValueError(f"money must be a string like '19.99' (two decimals), got {text!r}")
    return Decimal(text)
