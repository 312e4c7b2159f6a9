"""SIGKILL the memory-only broker and start it again, while orders stream in.

Tansu keeps records in memory only: a restart loses every record and committed offset,
topics included. What must hold:

1. The services recover by themselves: the outbox relays drain again (their producers were
   fatally confused by the new broker, issue 11 bug 1), without a service restart and
   without anyone recreating the topics.
2. What the broker lost is reported order by order: exactly the orders whose
   ``order.accepted`` had been acknowledged before the broker came back are untriggered on
   the topics, and those are the ones the audit lists as lost.
3. The operator's recovery works: ``python -m reference_services SERVICE republish --since
   T`` for the three services sends their events again, and the audit then finds every
   order with one invoice and one delivery (copies, never duplicates).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness_audit import audit, settle
from harness_orders import OrderStream, sleep_until
from harness_system import FaultySystem
from sqlalchemy import text

from accord.consistency import eventually

LIMIT_S = 60.0


def _sent_before(system: FaultySystem, moment: datetime) -> set[str]:
    """Orders whose ``order.accepted`` the order service saw acknowledged before ``moment``."""
    with system.engine("order").connect() as conn:
        rows = conn.execute(
            text("SELECT event FROM order_outbox WHERE sent_at < :moment"), {"moment": moment}
        )
        import orjson

        return {orjson.loads(event)["partitionkey"] for (event,) in rows}


def _caught_up(system: FaultySystem, orders: set[str]) -> bool:
    for name in ("shipping", "invoicing"):
        lacking = orders - set(system.rows_per_order(name))
        assert not lacking, f"{name}: {len(lacking)} orders not handled"
        assert system.unsent(name) == 0, f"{name}: outbox not drained"
    return True


def test_broker_restart_relays_recover_losses_are_named_and_republish_restores_them(
    system_factory: Callable[..., FaultySystem],
    size: Any,
    figures: Callable[..., None],
    tmp_path: Path,
) -> None:
    rate = 10.0
    lead_s, down_s, tail_s = size.pick((3.0, 2.0, 4.0), (20.0, 5.0, 20.0))
    count = int(rate * (lead_s + down_s + tail_s))
    system = system_factory()
    since = datetime.now(UTC)
    stream = OrderStream(system.order_url, count, rate, seed=size.seed_or(61))
    started = time.monotonic()
    stream.start()
    sleep_until(started + lead_s)
    system.kill_broker()
    sleep_until(started + lead_s + down_s)
    system.start_broker(create_topics=False)
    back_at = datetime.now(UTC)
    back = time.monotonic()
    outcomes = stream.wait(count / rate + 60)
    # The order service kept accepting: its database is the system of record.
    assert (outcomes.refused, outcomes.unknown) == (0, 0), outcomes.errors
    orders = set(system.rows_per_order("order"))
    assert set(outcomes.accepted) == orders

    # 1. The services recover by themselves: the order relay drains; the consumers read the
    # recreated topic and their relays publish what they made of it.
    eventually(lambda: system.unsent("order") == 0, within=120, interval=0.25,
               message="the order outbox drained after the broker restart")  # fmt: skip
    lost_triggers = _sent_before(system, back_at)
    assert lost_triggers, "some orders were published before the broker died"
    survivors = orders - lost_triggers
    eventually(lambda: _caught_up(system, survivors), within=120, interval=0.25,
               message="every order published after the restart handled")  # fmt: skip
    relays_s = time.monotonic() - back
    handled = {name: set(system.rows_per_order(name)) for name in ("shipping", "invoicing")}

    # 2. The loss, order by order: the triggers acknowledged by the broker that died.
    before = audit(system.bootstrap_servers, orders, LIMIT_S, tmp_path / "before")
    assert set(before.untriggered) == lost_triggers
    assert set(before.lost) == lost_triggers, "nothing else is lost"
    assert before.duplicated == 0
    # Orders whose trigger vanished before a consumer read it have no delivery or invoice
    # at all: a loss of the business, not just of events (republishing repairs it).
    unprocessed = {k for k in orders if not all(k in h for h in handled.values())}
    assert unprocessed <= lost_triggers

    # 3. The operator republishes the three outboxes from before the broker's restart.
    recovery_started = time.monotonic()
    republished = {}
    for name in ("order", "shipping", "invoicing"):
        done = system.republish(name, since.isoformat())
        assert done.returncode == 0, done.stderr
        republished[name] = int(done.stdout.split(":")[1].split()[0])
    assert republished["order"] == len(lost_triggers) + len(orders - lost_triggers)
    settle(system, orders, within_s=120)
    recovery_s = time.monotonic() - recovery_started
    after = audit(system.bootstrap_servers, orders, LIMIT_S, tmp_path / "after")
    figures(
        scenario="SIGKILL and restart the memory-only broker",
        faults=f"broker killed after {lead_s:.0f}s, down {down_s:.0f}s",
        relays_recovered_s=round(relays_s, 1),
        lost_before_republish=len(before.lost),
        unprocessed_before_republish=len(unprocessed),
        republished=sum(republished.values()),
        recovery_s=round(recovery_s, 1),
        **after.summary(),
    )
    assert after.lost == {}, after.lost
    assert after.duplicated == 0
    assert after.report["triggers"] == len(orders)
    for name in ("shipping", "invoicing"):
        rows = system.rows_per_order(name)
        assert set(rows) == orders and set(rows.values()) == {1}, name
