"""Exact money: :class:`~decimal.Decimal` in, two-decimal strings out (``"12.30"``)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = ["CENT", "format_money", "parse_money"]

CENT = Decimal("0.01")


def format_money(amount: Decimal) -> str:
    """``Decimal("12.3")`` -> ``"12.30"``; never scientific notation."""
    return format(amount.quantize(CENT, rounding=ROUND_HALF_EVEN), "f")


def parse_money(text: object) -> Decimal:
    """Parse a money string such as ``"19.99"``; raise ``ValueError`` for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"money must be a string like '19.99', got {type(text).__name__}")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"money must be a string like '19.99', got {text!r}") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"money must have at most two decimal places, got {text!r}")
    return amount.quantize(CENT)
