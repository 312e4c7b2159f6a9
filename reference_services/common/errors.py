"""Exceptions shared by the services (standard library only, importable from any layer)."""

from __future__ import annotations

__all__ = ["Conflict", "UnprocessableEvent"]


class UnprocessableEvent(ValueError):
    """An incoming event that can never be processed (wrong shape, unknown type, bad value).

    The consumer loop sends the record to the dead-letter topic with this message in the
    ``accord-error`` header instead of retrying it.
    """


class Conflict(Exception):
    """A commit hit a uniqueness rule: the row already exists (e.g. a redelivered event)."""
