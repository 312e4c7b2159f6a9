"""Network faults between the services and the broker, through accord's fault proxy.

The broker advertises the proxy's address, so every Kafka connection of every service (after
the first metadata answer, even one made to the broker's own port) goes through the proxy.
While orders stream in, the proxy adds latency, resets every connection (TCP RST), and
stalls every connection (open, silent) for longer than a heartbeat interval. Nothing may be
lost or duplicated; the report shows what the faults cost in latency.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness_audit import audit, settle
from harness_orders import OrderStream, sleep_until
from harness_system import FaultySystem

LIMIT_S = 60.0


def test_latency_resets_and_stalls_between_services_and_broker_lose_nothing(
    shared_system: FaultySystem,
    size: Any,
    figures: Callable[..., None],
    tmp_path: Path,
) -> None:
    from kafka import KafkaAdminClient

    system = shared_system
    before = set(system.rows_per_order("order"))
    proxy = system.proxy
    assert proxy is not None
    # Asked directly, the broker names the proxy: clients follow the metadata to it.
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{system.broker_port}")
    try:
        brokers = admin.describe_cluster()["brokers"]
    finally:
        admin.close()
    assert [(b["host"], b["port"]) for b in brokers] == [("127.0.0.1", proxy.port)]
    through_proxy = proxy.stats.accepted

    rounds = size.pick(1, 5)
    latency_s, stall_s = 0.2, size.pick(4.0, 8.0)
    round_s = 1.0 + 2.0 + 0.5 + stall_s + 0.5
    rate = 10.0
    count = int(rate * round_s * rounds) + 10
    stream = OrderStream(system.order_url, count, rate, seed=size.seed_or(71))
    started = time.monotonic()
    stream.start()
    resets = 0
    faults: list[str] = []
    for n in range(rounds):
        at = started + n * round_s
        sleep_until(at + 1.0)
        proxy.set_latency(latency_s)
        sleep_until(at + 3.0)
        proxy.set_latency(0)
        resets += proxy.reset()
        sleep_until(at + 3.5)
        proxy.stall()
        sleep_until(at + 3.5 + stall_s)
        proxy.resume()
        resets += proxy.reset()
        faults += [
            f"{latency_s * 1000:.0f} ms latency 2s",
            "reset",
            f"stall {stall_s:.0f}s",
            "reset",
        ]
    healed = time.monotonic()
    outcomes = stream.wait(count / rate + 120)
    assert (outcomes.refused, outcomes.unknown) == (0, 0), outcomes.errors
    orders = system.orders_since(before)
    assert set(outcomes.accepted) == orders
    settle(system, orders, within_s=180)
    recovery_s = time.monotonic() - healed
    verdict = audit(system.bootstrap_servers, orders, LIMIT_S, tmp_path / "audit")
    figures(
        scenario="network faults through the proxy",
        faults=f"{rounds} x ({', '.join(faults[:4])})",
        connections_reset=resets,
        recovery_s=round(recovery_s, 1),
        **verdict.summary(),
    )
    assert resets >= 2 * rounds, "the resets hit open connections"
    assert proxy.stats.accepted > through_proxy, "the services reconnected through the proxy"
    assert verdict.lost == {}
    assert verdict.duplicated == 0
    for name in ("shipping", "invoicing"):
        rows = system.rows_per_order(name)
        assert {rows[key] for key in orders} == {1}, name
