"""Helpers for tests that need real infrastructure: a fresh PostgreSQL database per use.

Used by accord's own test suite and by the pytest plugin's fixtures.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DEFAULT_ADMIN_URL", "postgres_database"]

#: Where PostgreSQL is on this kind of machine (trust auth); ``ACCORD_DATABASE_URL`` overrides.
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def postgres_database(admin_url: str | None = None, prefix: str = "accord") -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, and drop it afterwards.

    Args:
        admin_url: a URL of a database on the server to connect to for CREATE/DROP DATABASE;
            ``ACCORD_DATABASE_URL`` or :data:`DEFAULT_ADMIN_URL` when omitted.
        prefix: the new database's name starts with this.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(admin_url or os.environ.get("ACCORD_DATABASE_URL") or DEFAULT_ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
