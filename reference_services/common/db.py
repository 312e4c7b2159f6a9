"""Database engines: a SQLite file by default, PostgreSQL (psycopg 3) when a URL says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

__all__ = [
    "ID_TYPE",
    "MEMORY_URL",
    "UTCDateTime",
    "create_db_engine",
    "default_database_url",
    "wait_for_database",
]

#: An in-memory SQLite database shared by every thread of the process (tests, schemathesis).
MEMORY_URL = "sqlite://"

#: Autoincrement primary keys: BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


def default_database_url(service: str, directory: Path | None = None) -> str:
    """``sqlite:///<directory>/reference-<service>.db`` (the current directory by default)."""
    path = (directory or Path.cwd()) / f"reference-{service}.db"
    return f"sqlite:///{path}"


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``: ``sqlite://`` (memory), ``sqlite:///file`` or ``postgresql://``.

    ``postgresql://`` and ``postgres://`` URLs get the psycopg 3 driver. SQLite runs in WAL
    mode with a busy timeout, because the HTTP threads, the relay and the consumer all write.
    """
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def wait_for_database(engine: Engine, metadata: MetaData) -> None:
    """Check the database answers and create the service's tables if they are missing."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    metadata.create_all(engine)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
