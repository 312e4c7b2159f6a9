"""accord.faults.FaultProxy against a real TCP echo server on 127.0.0.1."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from accord.faults import FaultProxy

pytestmark = pytest.mark.integration


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with FaultProxy("127.0.0.1", server.server_address[1]) as running:
        yield running
    server.shutdown()
    server.server_close()


def _round_trip(sock: socket.socket, payload: bytes = b"ping") -> float:
    started = time.monotonic()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        got += sock.recv(65536)
    assert got == payload
    return time.monotonic() - started


def _connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def test_forwards_and_adds_latency_in_each_direction(proxy: FaultProxy) -> None:
    with _connect(proxy) as sock:
        assert _round_trip(sock) < 0.2
        proxy.set_latency(0.15)
        assert _round_trip(sock) >= 0.3  # 0.15 s up and 0.15 s down
        proxy.set_latency(0)
        assert _round_trip(sock) < 0.2
    assert proxy.stats.bytes_up == proxy.stats.bytes_down == 12


def test_a_stall_keeps_connections_open_and_silent_until_resumed(proxy: FaultProxy) -> None:
    with _connect(proxy) as sock:
        _round_trip(sock)
        proxy.stall()
        sock.sendall(b"held")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(10)
        with _connect(proxy) as late:  # new connections are accepted, and silent too
            late.settimeout(0.3)
            late.sendall(b"x")
            with pytest.raises(TimeoutError):
                late.recv(10)
        proxy.resume()
        sock.settimeout(5)
        assert sock.recv(10) == b"held"


def test_a_reset_closes_every_connection_with_rst_and_new_ones_work(proxy: FaultProxy) -> None:
    with _connect(proxy) as first, _connect(proxy) as second:
        _round_trip(first)
        _round_trip(second)
        assert proxy.reset() == 2
        for sock in (first, second):
            with pytest.raises(ConnectionResetError):
                sock.sendall(b"x")
                sock.recv(10)
    with _connect(proxy) as again:
        assert _round_trip(again) < 1
    assert proxy.stats.resets == 2


def test_a_server_that_is_down_resets_the_client() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]  # nothing listens on it
        with FaultProxy("127.0.0.1", port) as proxy, _connect(proxy) as sock:
            with pytest.raises((ConnectionResetError, BrokenPipeError)):
                sock.sendall(b"x")
                assert sock.recv(10) == b""
                sock.sendall(b"x")
            assert proxy.stats.upstream_failures == 1


def test_bad_latency_is_refused(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="latency must be >= 0"):
        proxy.set_latency(-1)


def test_an_embedded_broker_advertising_the_proxy_sends_every_client_through_it() -> None:
    from kafka import KafkaAdminClient, KafkaProducer

    from accord.broker import EmbeddedBroker
    from accord.broker._base import free_port

    port = free_port()
    with (
        FaultProxy("127.0.0.1", port) as proxy,
        EmbeddedBroker(port=port, advertised_listener=proxy.address) as broker,
    ):
        # Bootstrapped at the broker's own port, the client is sent to the proxy.
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        try:
            brokers = admin.describe_cluster()["brokers"]
        finally:
            admin.close()
        assert [(b["host"], b["port"]) for b in brokers] == [("127.0.0.1", proxy.port)]
        broker.create_topics(["t"], partitions=1)
        before = proxy.stats.bytes_up
        producer = KafkaProducer(**broker.producer_config())
        try:
            producer.send("t", b"x" * 1000).get(30)
        finally:
            producer.close()
        assert proxy.stats.bytes_up - before > 1000, "the record went through the proxy"
