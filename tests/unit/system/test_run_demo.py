"""run_demo's loop with a fake system, a fake event stream and the real consistency engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accord.system import (
    DemoProgress,
    OrderPlacementError,
    PlacedOrder,
    ServiceError,
    default_checker,
    run_demo,
)

pytestmark = pytest.mark.unit

Reply = Callable[[str, datetime], list[dict[str, Any]]]


def event(kind: str, key: str, at: datetime) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": f"{kind}:{key}", "source": "/fake", "type": kind,
        "time": at.isoformat(), "partitionkey": key, "data": {},
    }


def full_reply(key: str, at: datetime) -> list[dict[str, Any]]:
    return [
        event("order.accepted", key, at),
        event("invoice.created", key, at + timedelta(milliseconds=40)),
        event("delivery.created", key, at + timedelta(milliseconds=20)),
    ]


class FakeSystem:
    broker = None

    def __init__(self, dies_after_checks: int | None = None) -> None:
        self.urls = {"order": "http://order.invalid"}
        self.checks = 0
        self.dies_after_checks = dies_after_checks

    def check(self) -> None:
        self.checks += 1
        if self.dies_after_checks is not None and self.checks > self.dies_after_checks:
            raise ServiceError("invoicing", "the invoicing service exited with code -9")


class FakeOrders:
    """Places orders instantly (ids o-1, o-2, ...) and lets the fake stream answer them."""

    def __init__(self, reply: Reply, fail_after: int | None = None) -> None:
        self.reply = reply
        self.fail_after = fail_after
        self.lock = threading.Lock()
        self.pending: list[dict[str, Any]] = []

    def place(self, url: str, count: int, *, on_placed: Callable[[PlacedOrder], None],
              stop: threading.Event, **_: object) -> list[PlacedOrder]:
        placed = []
        for index in range(1, count + 1):
            if self.fail_after is not None and index > self.fail_after:
                raise OrderPlacementError(f"POST {url}/orders answered 500")
            order = PlacedOrder(f"o-{index}", time.monotonic())
            with self.lock:
                self.pending += self.reply(order.order_id, datetime.now(UTC))
            on_placed(order)
            placed.append(order)
        return placed


class FakeFollower:
    def __init__(self, orders: FakeOrders, old: list[dict[str, Any]] | None = None) -> None:
        self.orders = orders
        self.old = list(old or [])
        self.undecodable = 0
        self.closed = False

    def poll(self, timeout_s: float = 0.2) -> list[dict[str, Any]]:
        out, self.old = self.old, []
        with self.orders.lock:
            out, self.orders.pending = out + self.orders.pending, []
        if not out:
            time.sleep(timeout_s)  # what a real poll does when nothing arrives
        return out

    def close(self) -> None:
        self.closed = True


def demo(orders: FakeOrders, follower: FakeFollower, within_s: float, **kw: Any) -> Any:
    return run_demo(
        kw.pop("system", FakeSystem()), 5, within_s=within_s, checker=default_checker(within_s),
        follower=follower, place=orders.place, **kw,
    )


def test_stops_as_soon_as_every_order_has_both_events() -> None:
    orders = FakeOrders(full_reply)
    seen: list[DemoProgress] = []
    result = demo(orders, FakeFollower(orders), within_s=600.0, on_progress=seen.append)
    assert result.ok and not result.timed_out
    assert result.wait_s < 60  # did not sit out the 10-minute limit
    assert [o.order_id for o in result.placed] == ["o-1", "o-2", "o-3", "o-4", "o-5"]
    assert result.report["triggers"] == 5 and result.report["consistent"] is True
    assert seen[-1].complete == 5 and seen[-1].invoices == 5 and seen[-1].deliveries == 5


def test_gives_up_after_the_limit_and_names_what_is_missing() -> None:
    def no_invoice_for_o2(key: str, at: datetime) -> list[dict[str, Any]]:
        return [e for e in full_reply(key, at) if (key, e["type"]) != ("o-2", "invoice.created")]

    orders = FakeOrders(no_invoice_for_o2)
    result = demo(orders, FakeFollower(orders), within_s=0.3)
    assert result.timed_out and not result.ok
    assert result.summary.missing == {"o-2": ["invoice.created"]}
    violations = [(v["kind"], v["type"], v["key"]) for v in result.report["violations"]]
    assert violations == [("missing", "invoice.created", "o-2")]
    assert result.report["complete"] is True  # the run stopped: its window is closed


def test_events_of_earlier_runs_on_the_topics_are_not_judged() -> None:
    orders = FakeOrders(full_reply)
    earlier = full_reply("old-1", datetime(2020, 1, 1, tzinfo=UTC))[:1]  # a trigger, no invoice
    result = demo(orders, FakeFollower(orders, old=earlier), within_s=600.0)
    assert result.ok
    assert result.summary.orders == 5 and result.report["triggers"] == 5


def test_a_service_that_dies_during_the_run_ends_it() -> None:
    orders = FakeOrders(lambda key, at: [])  # nothing ever arrives
    follower = FakeFollower(orders)
    with pytest.raises(ServiceError, match="invoicing service exited"):
        demo(orders, follower, within_s=600.0, system=FakeSystem(dies_after_checks=1))
    assert follower.closed


def test_an_order_the_service_refuses_ends_the_run() -> None:
    orders = FakeOrders(full_reply, fail_after=2)
    follower = FakeFollower(orders)
    with pytest.raises(OrderPlacementError, match="answered 500"):
        demo(orders, follower, within_s=600.0)
    assert follower.closed
