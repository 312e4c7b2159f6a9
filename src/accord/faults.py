"""Network faults without root: a TCP proxy that adds latency, stalls, and resets connections.

Put :class:`FaultProxy` between clients and a server (a Kafka-protocol broker, a database)
and make the clients use the proxy's address; for Kafka, the broker must *advertise* the
proxy's address too, or the clients follow the metadata straight to the broker
(``EmbeddedBroker(advertised_listener=proxy.address)``).

What it does, exactly:

- **latency** ``set_latency(s)``: every chunk of bytes read from one side is written to the
  other ``s`` seconds later, in order, in both directions (so a request/response round trip
  costs ``2 s`` more). Bandwidth is not limited.
- **stall** ``stall()``: the proxy stops reading from every connection, open or new (new
  ones are accepted, then left silent): clients see a connection that is up and never
  answers, until ``resume()``. Bytes already read are held and delivered on resume.
- **reset** ``reset()``: every open connection is closed with a TCP RST on both sides (linger
  0), as a crashed middlebox or a broken link would; clients reconnect through the proxy.

It runs an asyncio loop on a daemon thread; the methods are safe to call from any thread.
The machine needs no ``tc``/``netem`` and no privileges; only 127.0.0.1 traffic is intended.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

__all__ = ["FaultProxy", "ProxyStats"]


@dataclass
class ProxyStats:
    """What the proxy has done so far.

    Attributes:
        accepted: connections accepted.
        resets: connections closed by :meth:`FaultProxy.reset`.
        upstream_failures: connections whose upstream could not be reached (closed at once).
        bytes_up: bytes forwarded from clients to the server.
        bytes_down: bytes forwarded from the server to clients.
    """

    accepted: int = 0
    resets: int = 0
    upstream_failures: int = 0
    bytes_up: int = 0
    bytes_down: int = 0


class _Pipe(asyncio.Protocol):
    """One side of a proxied connection; writes what it reads to its peer, after the latency."""

    def __init__(self, proxy: FaultProxy, upstream: bool) -> None:
        self.proxy = proxy
        self.upstream = upstream  # True: this side talks to the server
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None
        self.held: list[bytes] = []  # read before the peer was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proxy._pipes.add(self)
        if self.proxy._stalled:
            transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        if self.upstream:
            self.proxy.stats.bytes_down += len(data)
        else:
            self.proxy.stats.bytes_up += len(data)
        latency = self.proxy._latency_s
        if latency > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(latency, self._forward, data)
        else:
            self._forward(data)

    def _forward(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.held.append(data)
        elif not peer.transport.is_closing():
            peer.transport.write(data)

    def connect_peer(self, peer: _Pipe) -> None:
        self.peer = peer
        held, self.held = self.held, []
        for data in held:
            self._forward(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.proxy._pipes.discard(self)
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.close()

    def abort(self) -> None:
        """Close with an RST: linger 0, then abort."""
        if self.transport is None or self.transport.is_closing():
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class FaultProxy:
    """A TCP proxy on 127.0.0.1 that forwards to ``target`` and injects faults on demand.

    Args:
        target_host: where connections go.
        target_port: the server's port.
        listen_port: the proxy's port; a free one when 0.
        host: the proxy's listening address.

    Example:
        >>> with FaultProxy("127.0.0.1", 9092) as proxy:  # doctest: +SKIP
        ...     proxy.set_latency(0.2)
        ...     proxy.stall(); proxy.resume(); proxy.reset()
    """

    def __init__(
        self, target_host: str, target_port: int, listen_port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self._listen_port = listen_port
        self._latency_s = 0.0
        self._stalled = False
        self._pipes: set[_Pipe] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self.stats = ProxyStats()

    @property
    def port(self) -> int:
        """The port the proxy listens on (known once started, or when given)."""
        return self._listen_port

    @property
    def address(self) -> str:
        """``host:port`` of the proxy, for clients."""
        return f"{self.host}:{self.port}"

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> Self:
        """Listen and forward; return once the port accepts connections."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(self._accept, self.host, self._listen_port)
                )
                self._listen_port = int(self._server.sockets[0].getsockname()[1])
            except BaseException as exc:  # handed to start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="accord-fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every connection and stop listening. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for pipe in list(self._pipes):
                if pipe.transport is not None:
                    pipe.transport.abort()
            await asyncio.sleep(0)

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- faults ---------------------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        """Delay every forwarded chunk by ``seconds`` (each direction); 0 removes it."""
        if not seconds >= 0:
            raise ValueError(f"latency must be >= 0 seconds, got {seconds!r}")
        self._latency_s = float(seconds)

    def stall(self) -> None:
        """Stop forwarding: connections stay open and silent until :meth:`resume`."""
        self._call(self._set_stalled, True)

    def resume(self) -> None:
        """Forward again after :meth:`stall` (held bytes go first)."""
        self._call(self._set_stalled, False)

    def reset(self) -> int:
        """Close every open connection with a TCP RST; return how many were closed."""
        return self._call(self._reset)

    def heal(self) -> None:
        """No latency, no stall."""
        self.set_latency(0)
        self.resume()

    @property
    def connections(self) -> int:
        """Proxied connections open now."""
        return sum(1 for pipe in list(self._pipes) if not pipe.upstream)

    # -- on the loop ----------------------------------------------------------------------
    def _call(self, function: object, *args: object) -> int:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the fault proxy is not started")

        async def run() -> int:
            result = function(*args)  # type: ignore[operator]
            return int(result or 0)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(10)

    def _set_stalled(self, stalled: bool) -> None:
        self._stalled = stalled
        for pipe in list(self._pipes):
            if pipe.transport is None or pipe.transport.is_closing():
                continue
            if stalled:
                pipe.transport.pause_reading()
            else:
                pipe.transport.resume_reading()

    def _reset(self) -> int:
        clients = [pipe for pipe in list(self._pipes) if not pipe.upstream]
        for pipe in list(self._pipes):
            pipe.abort()
        self.stats.resets += len(clients)
        return len(clients)

    def _accept(self) -> _Pipe:
        self.stats.accepted += 1
        client = _Pipe(self, upstream=False)
        asyncio.get_running_loop().create_task(self._open_upstream(client))
        return client

    async def _open_upstream(self, client: _Pipe) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(
                lambda: _Pipe(self, upstream=True), *self.target
            )
        except OSError:
            # The server is down: the client sees its connection reset, as it would directly.
            self.stats.upstream_failures += 1
            client.abort()
            return
        if client.transport is None or client.transport.is_closing():
            if upstream.transport is not None:
                upstream.transport.close()
            return
        upstream.peer = client
        client.connect_peer(upstream)
        upstream.connect_peer(client)
