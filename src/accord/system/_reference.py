from __future__ import annotations

import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from accord.broker import Broker
from accord.broker._base import free_port, port_open
from accord.system._databases import ServiceDatabases
from accord.system._process import ServiceError, ServiceProcess, log_tail

#: The services in start order: consumers first, so they hold their partitions before
#: the first order is accepted.
SERVICES: tuple[str, ...] = ("shipping", "invoicing", "order")
#: The topics the reference system uses, with their partition count.
TOPICS: tuple[str, ...] = ("order", "delivery", "invoice")
PARTITIONS = 3
#: A service that exits more often than this within RESTART_WINDOW_S is not restarted again.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
#: The environment variable that gives a service its database URL (see reference_services).
DATABASE_URL_ENV = "REFERENCE_DATABASE_URL"
#: How the services are started: ``<launcher> <service> --port ... --bootstrap-servers ...``.
DEFAULT_LAUNCHER: tuple[str, ...] = (sys.executable, "-m", "reference_services")
#: How events move between the services: Kafka topics, or Atom feeds polled over HTTP.
TRANSPORTS: tuple[str, ...] = ("kafka", "atom")
#: With the Atom transport, the service whose feed carries what a topic carries on Kafka.
FEED_OF_TOPIC: dict[str, str] = {"order": "order", "delivery": "shipping", "invoice": "invoicing"}


@dataclass
class _Watch:
    """What :meth:`ReferenceSystem.supervise` knows about one service."""

    state: str = "up"  # up, restarting, given up
    restarts: deque[float] = field(default_factory=deque)
    total: int = 0


class ReferenceSystem:
    """The order, shipping and invoicing services running as processes against a broker.

    Each service gets its database URL in the environment variable ``REFERENCE_DATABASE_URL``,
    never on its command line, so that a password in it is not readable through ``ps``.

    Use it as a context manager. On entry it creates the topics ``order``, ``delivery`` and
    ``invoice`` (3 partitions), gives each service its own database, starts the three
    services on free 127.0.0.1 ports and waits until each ``/health`` answers 200. On exit
    it sends SIGTERM, waits, falls back to SIGKILL, checks that every port is closed and
    drops the PostgreSQL databases it created. A service that dies while starting raises
    :class:`ServiceError` naming it, with the tail of its log.

    It prints nothing; pass ``on_progress`` to hear what it is doing.

    Example:
        >>> with EmbeddedBroker() as broker, ReferenceSystem(broker) as system:  # doctest: +SKIP
        ...     requests.post(system.urls["order"] + "/orders", json=...)

    With ``transport="atom"`` there is no broker (pass ``None``): each service serves its
    events at ``/feed`` and shipping and invoicing poll the order service's feed every
    ``poll_interval_ms``.

    Args:
        broker: a started broker (``None`` with the Atom transport).
        database_url: a PostgreSQL server's SQLAlchemy URL; each service then gets a
            database ``accord_<run id>_<service>`` there. SQLite files in ``workdir`` when None.
        invoicing_delay_ms: make the invoicing service this slow per event, on purpose.
        shipping_delay_ms: the same for the shipping service.
        workdir: where logs (``<service>.log``) and SQLite files go; a new temporary
            directory when None (it is kept, so logs can be read after a failure).
        startup_timeout_s: how long each service may take to become healthy.
        stop_timeout_s: how long each service may take to stop before it is killed.
        launcher: the command that runs a service, before the service name.
        on_progress: called with a short message at each step.
        run_id: names the PostgreSQL databases; random when None.
        transport: ``kafka`` or ``atom``.
        poll_interval_ms: with ``atom``, the pollers' pause between two polls of the order feed.
    """

    def __init__(
        self,
        broker: Broker | None,
        *,
        database_url: str | None = None,
        invoicing_delay_ms: int = 0,
        shipping_delay_ms: int = 0,
        workdir: str | Path | None = None,
        startup_timeout_s: float = 60.0,
        stop_timeout_s: float = 10.0,
        launcher: Sequence[str] = DEFAULT_LAUNCHER,
        on_progress: Callable[[str], None] | None = None,
        run_id: str | None = None,
        transport: str = "kafka",
        poll_interval_ms: int = 100,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport {transport!r}: choose one of {', '.join(TRANSPORTS)}")
        if transport == "kafka" and broker is None:
            raise ValueError("the kafka transport needs a broker")
        self.transport = transport
        self.poll_interval_ms = poll_interval_ms
        self.broker = broker
        self.database_url = database_url
        self.delays_ms = {"invoicing": invoicing_delay_ms, "shipping": shipping_delay_ms}
        self.workdir = Path(workdir) if workdir is not None else None
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.launcher = list(launcher)
        self._on_progress = on_progress
        self._run_id = run_id
        self._services: dict[str, ServiceProcess] = {}
        self._ports: dict[str, int] = {}
        self._databases: ServiceDatabases | None = None
        self._started = False
        self.startup_s: float | None = None
        self._watches: dict[str, _Watch] = {}
        self._broker_down: str | None = None

    # -- what callers read ------------------------------------------------------------------
    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each running service, e.g. ``{"order": "http://127.0.0.1:41234"}``."""
        return {name: service.url for name, service in self._services.items()}

    @property
    def ports(self) -> dict[str, int]:
        """The port of each service."""
        return {name: service.port for name, service in self._services.items()}

    @property
    def pids(self) -> dict[str, int]:
        """The PID of each running service."""
        return {name: pid for name, service in self._services.items() if (pid := service.pid)}

    @property
    def log_paths(self) -> dict[str, Path]:
        """The log file of each service."""
        return {name: service.log_path for name, service in self._services.items()}

    @property
    def database_urls(self) -> dict[str, str]:
        """The database URL each service was given."""
        return dict(self._databases.urls) if self._databases else {}

    @property
    def bootstrap_servers(self) -> str:
        """The broker the services use ("" with the Atom transport)."""
        return self.broker.bootstrap_servers if self.broker is not None else ""

    @property
    def feeds(self) -> dict[str, str]:
        """With the Atom transport, each service's feed, e.g. ``{"order": "http://.../feed"}``."""
        if self.transport != "atom":
            return {}
        return {name: url + "/feed" for name, url in self.urls.items()}

    @property
    def dead_letter_feeds(self) -> dict[str, str]:
        """With the Atom transport, each poller's dead letters (``http://.../dead-letters``):
        the entries of the order feed it could not process, as dead-lettered CloudEvents."""
        if self.transport != "atom":
            return {}
        return {
            name: url + "/dead-letters"
            for name, url in self.urls.items()
            if name in ("shipping", "invoicing")
        }

    # -- life cycle ----------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        if self._on_progress is not None:
            self._on_progress(message)

    def start(self) -> Self:
        """Create topics and databases, start the services and wait until all are healthy."""
        if self._started:
            return self
        self._started = True
        self._services = {}
        self._watches = {}
        self._broker_down = None
        started = time.monotonic()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="accord-system-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            if self.broker is not None and self.transport == "kafka":
                bootstrap = self.broker.bootstrap_servers
                self._say(f"creating topics {', '.join(TOPICS)} on {bootstrap}")
                self.broker.create_topics(TOPICS, partitions=PARTITIONS)
            self._databases = ServiceDatabases(
                list(SERVICES), self.workdir, self.database_url, self._run_id
            )
            database_urls = self._databases.create()
            if self.database_url is not None:
                names = ", ".join(self._databases.database_name(n) for n in SERVICES)
                self._say(f"created databases {names}")
            ports: dict[str, int] = {}
            for name in SERVICES:  # all first: the pollers are told the order service's URL
                port = free_port()
                while port in ports.values():  # the kernel may hand out a released port again
                    port = free_port()
                ports[name] = port
            self._ports = ports
            for name in SERVICES:
                port = ports[name]
                service = ServiceProcess(
                    name,
                    self._command(name, port),
                    port,
                    self.workdir / f"{name}.log",
                    # By environment, not argument: a password in the URL would be readable
                    # by every user through ps (/proc/<pid>/environ is the owner's only).
                    env={DATABASE_URL_ENV: database_urls[name]},
                )
                self._services[name] = service
                self._say(f"starting {name} on port {port} (log {service.log_path})")
                service.spawn()
            for name, service in self._services.items():
                service.wait_healthy(self.startup_timeout_s)
                self._say(f"{name} is healthy at {service.url} (pid {service.pid})")
        except BaseException:
            # Ctrl-C or a failed service: leave nothing running, then report the first cause.
            self._stop_quietly()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def _command(self, name: str, port: int) -> list[str]:
        command = [*self.launcher, name, "--port", str(port)]
        if self.transport == "atom":
            command += ["--transport", "atom"]
            if name != "order":
                order_feed = f"http://127.0.0.1:{self._ports['order']}/feed"
                command += ["--order-feed", order_feed]
                command += ["--poll-interval-ms", str(self.poll_interval_ms)]
        elif self.broker is not None:
            command += ["--bootstrap-servers", self.broker.bootstrap_servers]
        delay = self.delays_ms.get(name, 0)
        if delay:
            command += ["--processing-delay-ms", str(delay)]
        return command

    # -- supervision (accord up) -------------------------------------------------------------
    def supervise(self, now: float | None = None) -> bool:
        """Look at every service and the broker once; return True if anything changed.

        A service that exited is restarted with the same command and port (at most
        :data:`MAX_RESTARTS` times within :data:`RESTART_WINDOW_S`; then it is left down and
        said so); one that was restarted is reported once it is healthy again. A broker that
        died (the embedded one's process exited) or stopped accepting connections is
        reported, and reported again when it answers. Every change goes to ``on_progress``;
        :meth:`status_line` sums the state up.
        """
        now = time.monotonic() if now is None else now
        changed = False
        for name, service in self._services.items():
            watch = self._watches.setdefault(name, _Watch())
            code = service.exit_code()
            if watch.state == "given up":
                continue
            if code is not None:
                changed = True
                self._restart(name, service, watch, code, now)
            elif watch.state == "restarting" and service.healthy():
                watch.state = "up"
                changed = True
                self._say(f"{name} is healthy again at {service.url} (pid {service.pid})")
        down = self._broker_problem()
        if down != self._broker_down:
            changed = True
            where = self.bootstrap_servers
            if down is not None:
                self._say(
                    f"the broker at {where} is DOWN: {down}; the services keep retrying "
                    "(a memory-only broker loses its topics: restart it on the same port)"
                )
            else:
                self._say(f"the broker at {where} answers again")
            self._broker_down = down
        return changed

    def _restart(
        self, name: str, service: ServiceProcess, watch: _Watch, code: int, now: float
    ) -> None:
        while watch.restarts and now - watch.restarts[0] > RESTART_WINDOW_S:
            watch.restarts.popleft()
        tail = log_tail(service.log_path, lines=5)
        if len(watch.restarts) >= MAX_RESTARTS:
            watch.state = "given up"
            self._say(
                f"{name} exited with code {code}, its {MAX_RESTARTS + 1}th exit within "
                f"{RESTART_WINDOW_S:.0f}s: not restarting it again; last lines of "
                f"{service.log_path}:\n{tail}"
            )
            return
        watch.restarts.append(now)
        watch.total += 1
        self._say(
            f"{name} exited with code {code}; restarting it (restart {watch.total}); "
            f"last lines of {service.log_path}:\n{tail}"
        )
        try:
            service.respawn()
        except ServiceError as exc:
            watch.state = "given up"
            self._say(f"cannot restart {name}: {exc}")
            return
        watch.state = "restarting"

    def _broker_problem(self) -> str | None:
        """Why the broker is not usable, or None: the embedded broker's process exited; for
        another broker, nothing accepts connections at its first bootstrap address. None
        with the Atom transport (no broker)."""
        if self.broker is None:
            return None
        exit_code = getattr(self.broker, "exit_code", None)
        if callable(exit_code):  # a broker process of our own
            code = exit_code()
            return None if code is None else f"its process exited with code {code}"
        host, _, port = self.broker.bootstrap_servers.split(",")[0].strip().rpartition(":")
        if not port_open(host, int(port)):
            return "nothing accepts connections there"
        return None

    def status_line(self) -> str:
        """E.g. ``order up, shipping restarting (2 restarts), invoicing up, broker DOWN``."""
        parts = []
        for name in self._services:
            watch = self._watches.get(name, _Watch())
            part = f"{name} {watch.state}"
            if watch.total:
                part += f" ({watch.total} restart{'s' if watch.total != 1 else ''})"
            parts.append(part)
        if self.broker is not None:
            parts.append("broker DOWN" if self._broker_down else "broker up")
        return ", ".join(parts)

    def check(self) -> None:
        """Raise :class:`ServiceError` (with the log's tail) if any service has exited."""
        for service in self._services.values():
            service.check_alive()

    def stop(self) -> None:
        """Stop every service, check their ports are closed, drop the databases. Idempotent.

        Raises:
            ServiceError: a port still accepted connections after its service stopped.
        """
        services = list(self._services.values())
        # All at once: they stop in parallel, then we wait for each.
        for service in services:
            service.terminate()
        errors: list[ServiceError] = []
        for service in services:
            try:
                service.stop(self.stop_timeout_s)
            except ServiceError as exc:
                errors.append(exc)
        self._started = False
        if self._databases is not None:
            if self.database_url is not None:
                self._say("dropping the services' databases")
            self._databases.drop()
            self._databases = None
        if services:
            self._say("services stopped")
        if errors:
            raise errors[0]

    def _stop_quietly(self) -> None:
        try:
            self.stop()
        except Exception as exc:  # the exception on its way out matters more
            self._say(f"while stopping after a failure: {exc}")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.stop()
        else:
            self._stop_quietly()

    def __repr__(self) -> str:
        state = ", ".join(f"{n}={u}" for n, u in self.urls.items()) or "not started"
        return f"ReferenceSystem({state})"
