from __future__ import annotations

import re
import uuid
from pathlib import Path

from accord.errors import UsageError


def check_database_url(url: str) -> None:
    """A SQLAlchemy URL of a PostgreSQL server, else a one-line usage error (checked before
    anything is started)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        base = make_url(url)
    except ArgumentError:
        raise UsageError(
            f"--database-url {url!r} is not a SQLAlchemy URL: use e.g. "
            "postgresql+psycopg://user@host:5432/postgres"
        ) from None
    if not base.drivername.startswith("postgresql"):
        raise UsageError(
            f"--database-url must name a PostgreSQL server (got {base.drivername!r}); "
            "leave it out for SQLite files"
        )


class ServiceDatabases:
    """One database per service: SQLite files in a directory, or PostgreSQL databases.

    With a PostgreSQL URL, :meth:`create` makes ``accord_<run id>_<service>`` databases on
    that server (connecting to the URL's own database to issue ``CREATE DATABASE``) and
    :meth:`drop` removes them. Otherwise each service gets ``<directory>/<service>.db``.

    Args:
        services: the service names.
        directory: where SQLite files go.
        database_url: a SQLAlchemy URL of a PostgreSQL server, or None for SQLite.
        run_id: names this run's databases; random when omitted.
    """

    def __init__(
        self,
        services: list[str],
        directory: Path,
        database_url: str | None = None,
        run_id: str | None = None,
    ) -> None:
        self.services = list(services)
        self.directory = directory
        self.database_url = database_url
        self.run_id = run_id or uuid.uuid4().hex[:8]
        if not re.fullmatch(r"[a-z0-9_]+", self.run_id):
            raise UsageError(f"run id {self.run_id!r}: use lower-case letters, digits and _")
        self.urls: dict[str, str] = {}
        self._created: list[str] = []

    def database_name(self, service: str) -> str:
        """The PostgreSQL database a service gets in this run."""
        return f"accord_{self.run_id}_{service}"

    def create(self) -> dict[str, str]:
        """Create the databases and return each service's SQLAlchemy URL."""
        if self.database_url is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.urls = {
                name: f"sqlite:///{(self.directory / f'{name}.db').resolve()}"
                for name in self.services
            }
            return self.urls
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        check_database_url(self.database_url)
        base = make_url(self.database_url)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name in self.services:
                    database = self.database_name(name)
                    conn.execute(text(f'CREATE DATABASE "{database}"'))
                    self._created.append(database)
                    self.urls[name] = base.set(database=database).render_as_string(
                        hide_password=False
                    )
        except SQLAlchemyError as exc:
            self.drop()
            raise UsageError(
                f"cannot create the services' databases on {base.render_as_string()}: "
                f"{str(exc).splitlines()[0]}; check the URL and that its user may CREATE DATABASE"
            ) from None
        finally:
            admin.dispose()
        return self.urls

    def drop(self) -> None:
        """Drop the PostgreSQL databases this object created (SQLite files are left alone).

        The drops run concurrently: each ``DROP DATABASE`` waits for a checkpoint, and
        concurrent requests share one.
        """
        if not self._created or self.database_url is None:
            return
        from concurrent.futures import ThreadPoolExecutor

        from sqlalchemy import create_engine, text

        admin = create_engine(
            self.database_url, isolation_level="AUTOCOMMIT", pool_size=len(self._created)
        )

        def drop(database: str) -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

        try:
            with ThreadPoolExecutor(len(self._created)) as pool:
                list(pool.map(drop, self._created))
            self._created.clear()
        finally:
            admin.dispose()
