"""SIGKILL the consumers at seeded random moments while orders stream in: nothing is lost.

Shipping and invoicing are each killed at least 5 times (9 in the long version) and started
again at once, without waiting for the previous one to become healthy: a kill may hit a
service in the middle of a batch, between its database commit and its offset commit, or
while it is still joining the group. The offsets-after-commit rule and the idempotent
handlers must leave every accepted order with exactly one delivery and one invoice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness_audit import audit, settle
from harness_orders import OrderStream, sleep_until
from harness_system import FaultySystem

LIMIT_S = 60.0


def kill_moments(rng: random.Random, kills: int, start_s: float, end_s: float) -> list[float]:
    """One moment in each of ``kills`` equal slots of [start, end]: spread, yet random."""
    slot = (end_s - start_s) / kills
    return [start_s + i * slot + rng.uniform(0.1, 0.9) * slot for i in range(kills)]


def test_sigkill_shipping_and_invoicing_loses_and_duplicates_nothing(
    shared_system: FaultySystem,
    size: Any,
    figures: Callable[..., None],
    tmp_path: Path,
) -> None:
    seed = size.seed_or(11)
    rng = random.Random(seed)
    count, rate, kills = size.pick((100, 15.0, 5), (1000, 20.0, 9))
    system = shared_system
    before = set(system.rows_per_order("order"))
    placing_s = count / rate
    schedule = sorted(
        (moment, name)
        for name in ("shipping", "invoicing")
        for moment in kill_moments(rng, kills, 0.5, placing_s)
    )
    stream = OrderStream(system.order_url, count, rate, seed)
    started = time.monotonic()
    stream.start()
    for moment, name in schedule:
        sleep_until(started + moment)
        system.kill(name)
        system.restart(name, wait=False)
    outcomes = stream.wait(placing_s + 120)
    faults_over = time.monotonic()
    system.wait_healthy("shipping", "invoicing")
    accepted = set(outcomes.accepted)
    # The order service was never touched: every request was answered 201.
    assert (len(accepted), outcomes.refused, outcomes.unknown) == (count, 0, 0), outcomes.errors
    assert system.orders_since(before) == accepted
    settle(system, accepted, within_s=180)
    recovery_s = time.monotonic() - faults_over

    verdict = audit(system.bootstrap_servers, accepted, LIMIT_S, tmp_path / "audit")
    figures(
        scenario="SIGKILL shipping and invoicing",
        seed=seed,
        faults=f"{kills} SIGKILLs of shipping, {kills} of invoicing",
        recovery_s=round(recovery_s, 1),
        **verdict.summary(),
    )
    assert verdict.lost == {}, f"seed {seed}: lost orders {verdict.lost}"
    assert verdict.duplicated == 0, f"seed {seed}: {verdict.report['expectations']}"
    assert verdict.report["triggers"] == count
    # Exactly one row per order in each service's own database, too.
    for name in ("shipping", "invoicing"):
        rows = system.rows_per_order(name)
        assert {rows[key] for key in accepted} == {1}, name
    # The delay the kills cost is in the report: every order has a latency for both events.
    for kind in ("invoice.created", "delivery.created"):
        assert verdict.report["expectations"][kind]["latency_s"]["count"] == count
