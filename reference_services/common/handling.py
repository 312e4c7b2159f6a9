"""Idempotent creation: the one rule both consuming services follow per accepted order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reference_services.common.errors import Conflict
from reference_services.common.unit_of_work import UnitOfWork

__all__ = ["create_once"]

T = TypeVar("T")


def create_once(
    uow: UnitOfWork,
    *,
    existing: Callable[[], T | None],
    build: Callable[[], T],
    add: Callable[[T], None],
) -> T:
    """Return what ``existing`` finds, or ``build`` it, ``add`` it and commit.

    A unique constraint backs the lookup: when a concurrent commit wins the race, this one's
    :class:`Conflict` is swallowed and the winner is returned, so a redelivered event never
    creates a second row or a second outgoing event.
    """
    with uow:
        found = existing()
        if found is not None:
            return found
        created = build()
        try:
            add(created)
            uow.commit()
        except Conflict:
            uow.rollback()
            winner = existing()
            if winner is None:
                raise
            return winner
    return created
