"""A running service: its database, app and background workers, and an HTTP server for it."""

from __future__ import annotations

import logging
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from reference_services.common.consumer import EventConsumer
from reference_services.common.outbox import KafkaPublisher, OutboxRelay

__all__ = ["HttpServer", "ServiceRuntime"]

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """Everything :func:`reference_services.bootstrap.bootstrap` wired for one service.

    Attributes:
        name: ``order``, ``shipping`` or ``invoicing``.
        engine: its database.
        app: its FastAPI application.
        uow_factory: makes a unit of work on ``engine`` (wakes the relay after commits).
        relay: publishes its outbox (None without Kafka).
        consumer: consumes topic ``order`` (shipping and invoicing only; None without Kafka).
        publisher: the Kafka producer the relay and the dead-letter queue share.
        scratch: the temporary directory of a throw-away database, removed by :meth:`stop`.
    """

    name: str
    engine: Engine
    app: Any = None
    uow_factory: Any = None
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    publisher: KafkaPublisher | None = None
    scratch: tempfile.TemporaryDirectory[str] | None = None
    started: bool = field(default=False, init=False)

    def ready(self) -> tuple[bool, str | None]:
        """(ready?, reason if not): the database answers, the consumer has partitions and is not
        stuck retrying a record, and the outbox drains (its oldest unsent row is younger than
        the relay's stall threshold)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database not reachable: {type(exc).__name__}"
        if self.consumer is not None:
            if not self.consumer.assigned:
                return False, "waiting for the Kafka consumer's partition assignment"
            stalled = self.consumer.stalled()
            if stalled is not None:
                return False, stalled
        if self.relay is not None:
            try:
                stalled = self.relay.stalled()
            except Exception as exc:
                return False, f"cannot read the outbox: {type(exc).__name__}"
            if stalled is not None:
                return False, stalled
        return True, None

    def start(self) -> ServiceRuntime:
        """Start the relay and the consumer threads."""
        if self.relay is not None:
            self.relay.start()
        if self.consumer is not None:
            self.consumer.start()
        self.started = True
        return self

    def stop(self) -> None:
        """Stop the consumer (no commit of unfinished work), the relay, the producer, the pool."""
        if self.consumer is not None:
            self.consumer.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.publisher is not None:
            self.publisher.close()
        self.engine.dispose()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None
        self.started = False

    def __enter__(self) -> ServiceRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) for uvicorn to serve on.

    Created with IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only
    then, and without it Nagle's algorithm and delayed ACKs cost every keep-alive request
    about 40 ms.

    Raises:
        OSError: the address cannot be bound (e.g. the port is taken).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class HttpServer:
    """uvicorn serving ``app`` on 127.0.0.1 (a free port unless given) on a thread.

    Used in-process by tests; the CLI runs uvicorn on the main thread instead, so that uvicorn
    handles SIGTERM and SIGINT.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self._sock = listening_socket(host, port)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> HttpServer:
        """Serve on a thread; return once uvicorn accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True, name="http"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"HTTP server on {self.url} did not start within {timeout_s}s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
