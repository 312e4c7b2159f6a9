"""The reference system as processes, with the faults the reliability suite injects.

:class:`FaultySystem` runs an embedded Tansu broker on a fixed port (so it can be killed and
restarted where the clients expect it), optionally behind an :class:`accord.faults.FaultProxy`
that the broker advertises, one PostgreSQL database per service, and the three services as
``python -m reference_services`` processes. Each fault is one method: SIGKILL or restart a
service, SIGSTOP/SIGCONT the broker, SIGKILL and restart the broker, proxy faults.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from accord.broker import EmbeddedBroker
from accord.broker._base import free_port
from accord.faults import FaultProxy
from accord.system import ServiceDatabases, ServiceProcess
from accord.testing import DEFAULT_ADMIN_URL
from reference_services.common.cli import DATABASE_URL_ENV

SERVICES = ("shipping", "invoicing", "order")
TOPICS = ("order", "delivery", "invoice", "order.dlq")
#: What each service writes per accepted order: (table, its order id column).
TABLES = {
    "order": ("order_orders", "order_id"),
    "shipping": ("shipping_deliveries", "order_id"),
    "invoicing": ("invoicing_invoices", "order_id"),
}


class FaultySystem:
    """Broker, (proxy,) databases and the three services; every fault one call away.

    Args:
        workdir: logs (``<service>.log``, ``tansu.log``) go here.
        proxy: put a fault proxy between every client and the broker.
        admin_url: the PostgreSQL server the services' databases are created on.
        startup_timeout_s: how long a (re)started service may take to become healthy.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        proxy: bool = False,
        admin_url: str | None = None,
        startup_timeout_s: float = 90.0,
    ) -> None:
        self.workdir = workdir
        self.admin_url = admin_url or os.environ.get("ACCORD_DATABASE_URL") or DEFAULT_ADMIN_URL
        self.startup_timeout_s = startup_timeout_s
        self.broker_port = free_port()
        self.proxy = FaultProxy("127.0.0.1", self.broker_port) if proxy else None
        self.broker: EmbeddedBroker | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.database_urls: dict[str, str] = {}
        self._databases: ServiceDatabases | None = None
        self._engines: dict[str, Engine] = {}
        self.broker_starts = 0

    # -- addresses ------------------------------------------------------------------------
    @property
    def bootstrap_servers(self) -> str:
        """Where clients connect: the proxy when there is one, else the broker."""
        return self.proxy.address if self.proxy is not None else f"127.0.0.1:{self.broker_port}"

    @property
    def order_url(self) -> str:
        return self.services["order"].url

    def url(self, name: str) -> str:
        return self.services[name].url

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            if self.proxy is not None:
                self.proxy.start()
            self.start_broker()
            self._databases = ServiceDatabases(list(SERVICES), self.workdir, self.admin_url)
            self.database_urls = self._databases.create()
            for name in SERVICES:
                service = ServiceProcess(name, [], free_port(), self.workdir / f"{name}.log")
                self.services[name] = service
                self._spawn(name)
            for name in SERVICES:
                self.services[name].wait_healthy(self.startup_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _command(self, name: str) -> list[str]:
        return [
            sys.executable, "-m", "reference_services", name,
            "--port", str(self.services[name].port),
            "--bootstrap-servers", self.bootstrap_servers,
        ]  # fmt: skip

    def _spawn(self, name: str, env: Mapping[str, str] | None = None) -> None:
        old = self.services[name]
        # The database URL by environment, as accord up passes it (not visible through ps).
        env = {DATABASE_URL_ENV: self.database_urls[name], **(env or {})}
        service = ServiceProcess(name, self._command(name), old.port, old.log_path, env=env)
        self.services[name] = service
        service.spawn()

    def stop(self) -> None:
        for name, service in self.services.items():
            self.resume(name)  # a stopped process would sit on its SIGTERM
            service.terminate()
        for service in self.services.values():
            try:
                service.stop(15)
            except Exception as exc:  # keep stopping the rest
                print(f"stopping {service.name}: {exc}", file=sys.stderr)
        self.services = {}
        for engine in self._engines.values():
            engine.dispose()
        self._engines = {}
        if self._databases is not None:
            self._databases.drop()
            self._databases = None
        if self.broker is not None:
            self.resume_broker()
            self.broker.stop()
            self.broker = None
        if self.proxy is not None:
            self.proxy.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- service faults ---------------------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL a service (its whole process group) and reap it."""
        service = self.services[name]
        pid = service.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        service.stop(15)

    def restart(self, name: str, env: Mapping[str, str] | None = None, wait: bool = True) -> None:
        """Start a stopped (killed) service again on its port, with ``env`` added."""
        self.services[name].stop(15)  # reaps a process that died on its own
        self._spawn(name, env)
        if wait:
            self.services[name].wait_healthy(self.startup_timeout_s)

    def pause(self, name: str) -> None:
        """SIGSTOP a service: its sockets stay open, nothing answers."""
        pid = self.services[name].pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        pid = self.services[name].pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)

    def wait_healthy(self, *names: str) -> None:
        for name in names or tuple(self.services):
            self.services[name].wait_healthy(self.startup_timeout_s)

    def exited(self, name: str) -> int | None:
        return self.services[name].exit_code()

    # -- broker faults ----------------------------------------------------------------------
    def start_broker(self, create_topics: bool = True) -> None:
        """Start the broker on its port (again); create the topics unless told not to.

        After a restart, ``create_topics=False`` leaves it to the services to notice that a
        memory-only broker lost its topics.
        """
        advertised = self.proxy.address if self.proxy is not None else None
        self.broker = EmbeddedBroker(
            log_path=self.workdir / "tansu.log",
            port=self.broker_port,
            advertised_listener=advertised,
        )
        self.broker.start()
        if create_topics:
            self.broker.create_topics(TOPICS, partitions=3)
        self.broker_starts += 1

    def kill_broker(self) -> None:
        """SIGKILL the memory-only broker: every record and committed offset is gone."""
        assert self.broker is not None and self.broker.pid is not None
        os.kill(self.broker.pid, signal.SIGKILL)
        self.broker.stop()
        self.broker = None

    def pause_broker(self) -> None:
        assert self.broker is not None and self.broker.pid is not None
        os.kill(self.broker.pid, signal.SIGSTOP)

    def resume_broker(self) -> None:
        if self.broker is not None and self.broker.pid is not None:
            os.kill(self.broker.pid, signal.SIGCONT)

    # -- what the databases hold ------------------------------------------------------------
    def engine(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = create_engine(self.database_urls[name], pool_size=1)
        return self._engines[name]

    def rows_per_order(self, name: str) -> dict[str, int]:
        """Order id -> how many rows the service holds for it (deliveries, invoices, orders)."""
        table, column = TABLES[name]
        with self.engine(name).connect() as conn:
            rows = conn.execute(text(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}"))
            return {str(order_id): int(count) for order_id, count in rows}

    def orders_since(self, before: set[str]) -> set[str]:
        """The orders the order database holds that are not in ``before``."""
        return set(self.rows_per_order("order")) - before

    def unsent(self, name: str) -> int:
        """Outbox rows of a service not yet acknowledged by the broker."""
        with self.engine(name).connect() as conn:
            return int(
                conn.execute(
                    text(f"SELECT count(*) FROM {name}_outbox WHERE sent_at IS NULL")
                ).scalar_one()
            )

    def times(self, name: str) -> dict[str, Any]:
        """Order id -> acceptance (order) or creation (shipping, invoicing) time."""
        table, column = TABLES[name]
        moment = "accepted_at" if name == "order" else "created_at"
        with self.engine(name).connect() as conn:
            rows = conn.execute(text(f"SELECT {column}, {moment} FROM {table}"))
            return {str(order_id): at for order_id, at in rows}

    def republish(self, name: str, since: str) -> subprocess.CompletedProcess[str]:
        """``python -m reference_services NAME republish --since ...``, as an operator runs it."""
        command = [
            sys.executable, "-m", "reference_services", name, "republish", "--since", since,
        ]  # fmt: skip
        return subprocess.run(
            command,
            env={**os.environ, DATABASE_URL_ENV: self.database_urls[name]},
            capture_output=True,
            text=True,
            timeout=60,
        )
