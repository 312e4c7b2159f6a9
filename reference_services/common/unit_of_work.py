"""The SQLAlchemy unit of work every service builds on (cosmicpython, chapter 6).

``with uow: ...; uow.commit()`` -- leaving the block without a commit rolls back. The outbox
shares the session, so business rows and outgoing events commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

from sqlalchemy import Engine, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reference_services.common.errors import Conflict
from reference_services.common.outbox import Outbox

__all__ = ["SqlAlchemyUnitOfWorkBase", "UnitOfWork", "execute_insert"]


class UnitOfWork(Protocol):
    """What the handlers need of any unit of work; services add repositories and ``publish``."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class SqlAlchemyUnitOfWorkBase:
    """Session handling, outbox and after-commit hook; subclasses add repositories in
    :meth:`_open`.

    Subclasses set :attr:`outbox_table`.

    Args:
        engine: the service's database.
        after_commit: called after every successful commit (the relay's ``wake``).
    """

    outbox_table: ClassVar[Table]
    session: Session
    outbox: Outbox

    def __init__(self, engine: Engine, after_commit: Callable[[], None] | None = None) -> None:
        # Sessions of the plain Session class: a sessionmaker per unit of work made a new
        # Session subclass each time, whose event dispatch SQLAlchemy then set up on its first
        # session (13% of a consumer's CPU time).
        self._engine = engine
        self._after_commit = after_commit

    def __enter__(self) -> Self:
        self.session = Session(bind=self._engine, expire_on_commit=False)
        self.outbox = Outbox(self.session, self.outbox_table)
        self._open(self.session)
        return self

    def _open(self, session: Session) -> None:
        """Create the repositories on ``session``."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit; raise :class:`Conflict` when a uniqueness rule rejected the rows."""
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(str(exc.orig)) from exc
        if self._after_commit is not None:
            self._after_commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def execute_insert(session: Session, statement: Any) -> None:
    """Run an INSERT; a uniqueness violation rolls back and raises :class:`Conflict`."""
    try:
        session.execute(statement)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(str(exc.orig)) from exc
