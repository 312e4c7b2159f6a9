"""The Atom variant's figures: wire cost of an idle poll, and order -> delivery/invoice latency.

    python bench/bench_atom.py [--poll-interval-ms 100] [--orders 200] [--rate 20]
        [--database sqlite|postgresql]

Starts the three services as processes with ``--transport atom`` (SQLite files in a temporary
directory, or fresh PostgreSQL databases), puts a byte-counting TCP proxy between shipping's
poller and the order service, and prints:

- requests and bytes (both directions, headers included) per idle poll, over 5 s of silence;
- p50/p99/max of ``createdAt - acceptedAt`` for deliveries and invoices, for orders placed at
  a steady rate (not a burst, so the figure is the transport's latency, not a backlog).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path

import requests

ORDER = {
    "customerId": "c-1",
    "shippingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
    "billingAddress": {"street": "Billing 2", "zip": "20095", "city": "Hamburg"},
    "lines": [{"count": 2, "itemId": "i-1"}],
}


class CountingProxy:
    """127.0.0.1:port -> target; counts the bytes in both directions."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.bytes = 0
        self.requests = 0
        self.responses_304 = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, upward: bool) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    self.bytes += len(data)
                    if upward:
                        self.requests += data.count(b"GET /")
                    else:
                        self.responses_304 += data.count(b"HTTP/1.1 304")
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def start(args: list[str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_services", *args],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 30
    while True:
        found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            url = found.group(1)
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    return process, url
            except requests.ConnectionError:
                pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{args[0]} did not start:\n{log.read_text()}")
        time.sleep(0.05)


def quantiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:.0f} ms, p99 {cuts[98]:.0f} ms, max {max(values):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll-interval-ms", type=int, default=100)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    options = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))

        def database(name: str) -> str:
            if options.database == "sqlite":
                return f"sqlite:///{tmp / name}.db"
            from accord.testing import postgres_database

            return stack.enter_context(postgres_database(prefix="accord_bench"))

        processes: list[subprocess.Popen[bytes]] = []

        def stop_all() -> None:
            for process in reversed(processes):
                process.send_signal(signal.SIGTERM)
                process.wait(30)

        stack.callback(stop_all)
        order, order_url = start(
            ["order", "--transport", "atom", "--database-url", database("order")],
            tmp / "order.log",
        )
        processes.append(order)
        proxy = CountingProxy(int(order_url.rsplit(":", 1)[1]))
        stack.callback(proxy.close)
        urls = {}
        for name, feed in (
            ("shipping", f"http://127.0.0.1:{proxy.port}/feed"),
            ("invoicing", f"{order_url}/feed"),
        ):
            process, urls[name] = start(
                [
                    name,
                    "--transport",
                    "atom",
                    "--order-feed",
                    feed,
                    "--poll-interval-ms",
                    str(options.poll_interval_ms),
                    "--database-url",
                    database(name),
                ],
                tmp / f"{name}.log",
            )
            processes.append(process)

        # One order first, so that the idle head page is a realistic one (one entry).
        requests.post(f"{order_url}/orders", json=ORDER, timeout=5).raise_for_status()
        time.sleep(1.0)
        before = (proxy.bytes, proxy.requests, proxy.responses_304)
        window_s = 5.0
        time.sleep(window_s)
        idle_bytes = proxy.bytes - before[0]
        polls = proxy.requests - before[1]
        not_modified = proxy.responses_304 - before[2]
        print(
            f"idle {window_s:.0f} s, poll interval {options.poll_interval_ms} ms: {polls} "
            f"requests, {not_modified} answered 304, {idle_bytes} bytes on the wire: "
            f"{idle_bytes / max(polls, 1):.0f} bytes per idle poll (request + 304 response, "
            f"headers included); {proxy.connections} TCP connection(s) in all (keep-alive)"
        )

        http = requests.Session()
        placed: dict[str, str] = {}
        gap = 1 / options.rate
        t0 = time.monotonic()
        for n in range(options.orders):
            time.sleep(max(0.0, t0 + n * gap - time.monotonic()))
            resp = http.post(f"{order_url}/orders", json=ORDER, timeout=10)
            resp.raise_for_status()
            placed[resp.json()["orderId"]] = resp.json()["acceptedAt"]
        name_of = {"deliveries": "delivery", "invoices": "invoice"}
        for name, noun in (("shipping", "deliveries"), ("invoicing", "invoices")):
            deadline = time.monotonic() + 120
            while True:
                body = http.get(f"{urls[name]}/{noun}?size=500", timeout=10).json()
                rows = [r for r in body["items"] if r["orderId"] in placed]
                if len(rows) == len(placed) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            lags = [
                (
                    datetime.fromisoformat(r["createdAt"])
                    - datetime.fromisoformat(placed[r["orderId"]])
                ).total_seconds()
                * 1000
                for r in rows
            ]
            print(
                f"order -> {name_of[noun]}"
                f" ({options.database}, {options.orders} orders at {options.rate:g}/s, poll "
                f"{options.poll_interval_ms} ms): {len(rows)}/{len(placed)}; {quantiles(lags)}"
            )


if __name__ == "__main__":
    main()
