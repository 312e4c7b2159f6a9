from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TRIGGER = "order.accepted"
EXPECTED: tuple[str, ...] = ("invoice.created", "delivery.created")


def _time(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event["time"]))
    except (KeyError, ValueError):
        return None


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q <= 1) of sorted values by the nearest-rank method."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class Slowest:
    """The order whose last expected event came latest after its acceptance."""

    order_id: str
    latency_s: float
    event_type: str


@dataclass(frozen=True)
class ArrivalSummary:
    """What arrived for the orders a demo placed.

    Attributes:
        orders: orders placed.
        accepted: orders whose ``order.accepted`` event was read.
        arrived: per expected type, orders with at least one such event.
        latency_s: per expected type, ``{"p50", "p90", "p99", "max"}`` over arrived orders
            (the quantiles every view shows).
        slowest: the order whose expected events took longest, if any arrived.
        missing: order id -> the event types it lacks (``order.accepted`` included).
        late: order id -> ``(type, latency_s)`` of events that came after ``within_s``.
        within_s: the limit the verdict used.
    """

    orders: int
    accepted: int
    arrived: dict[str, int]
    latency_s: dict[str, dict[str, float]]
    slowest: Slowest | None
    missing: dict[str, list[str]]
    late: dict[str, list[tuple[str, float]]]
    within_s: float

    @property
    def ok(self) -> bool:
        """True when every order has every expected event within the limit."""
        return self.orders > 0 and not self.missing and not self.late


@dataclass
class _Order:
    accepted: datetime | None = None
    arrivals: dict[str, datetime] = field(default_factory=dict)


class ArrivalTracker:
    """Tracks, per order id, whether its acceptance, invoice and delivery events arrived.

    Only orders announced with :meth:`expect` count: events for other keys (older runs on
    the same topics) are held back and handed on only if their key is announced later, so
    a demo against a used broker judges just its own orders. Events for announced orders
    are passed to ``sink`` (the consistency engine) as well.

    Args:
        expected: the event types every order must produce.
        trigger: the event type that starts the clock.
        sink: receives every event of an announced order, once.
    """

    def __init__(
        self,
        expected: Iterable[str] = EXPECTED,
        trigger: str = TRIGGER,
        sink: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.expected = tuple(expected)
        self.trigger = trigger
        self._sink = sink
        self._orders: dict[str, _Order] = {}
        self._unclaimed: dict[str, list[dict[str, Any]]] = {}
        self._complete = 0
        self.arrived: dict[str, int] = dict.fromkeys(self.expected, 0)
        self.accepted = 0

    @property
    def orders(self) -> int:
        return len(self._orders)

    @property
    def complete(self) -> int:
        """Orders with their trigger and every expected event."""
        return self._complete

    def all_complete(self) -> bool:
        return self._complete == len(self._orders)

    def expect(self, order_id: str) -> None:
        """Announce an order this run placed; replays events that arrived before it."""
        if order_id in self._orders:
            return
        self._orders[order_id] = _Order()
        for event in self._unclaimed.pop(order_id, []):
            self._record(order_id, event)

    def add(self, event: dict[str, Any]) -> None:
        """Take one event (a structured CloudEvent keyed by ``partitionkey``)."""
        key = event.get("partitionkey")
        if key is None:
            return
        key = str(key)
        if key in self._orders:
            self._record(key, event)
        else:
            self._unclaimed.setdefault(key, []).append(event)

    def _record(self, key: str, event: dict[str, Any]) -> None:
        order = self._orders[key]
        was_complete = self._is_complete(order)
        kind = event.get("type")
        moment = _time(event)
        if kind == self.trigger and moment is not None:
            if order.accepted is None:
                self.accepted += 1
            if order.accepted is None or moment < order.accepted:
                order.accepted = moment
        elif kind in self.arrived and moment is not None:
            if kind not in order.arrivals:
                self.arrived[kind] += 1
            if kind not in order.arrivals or moment < order.arrivals[kind]:
                order.arrivals[kind] = moment
        if not was_complete and self._is_complete(order):
            self._complete += 1
        if self._sink is not None:
            self._sink(event)

    def _is_complete(self, order: _Order) -> bool:
        return order.accepted is not None and len(order.arrivals) == len(self.expected)

    def summary(self, within_s: float) -> ArrivalSummary:
        """The verdict so far: what is missing, what came late, and how fast the rest was."""
        missing: dict[str, list[str]] = {}
        late: dict[str, list[tuple[str, float]]] = {}
        latencies: dict[str, list[float]] = {kind: [] for kind in self.expected}
        slowest: Slowest | None = None
        for key, order in self._orders.items():
            lacks = [kind for kind in self.expected if kind not in order.arrivals]
            if order.accepted is None:
                lacks.insert(0, self.trigger)
            if lacks:
                missing[key] = lacks
            if order.accepted is None:
                continue
            for kind, moment in order.arrivals.items():
                latency = max(0.0, (moment - order.accepted).total_seconds())
                latencies[kind].append(latency)
                if latency > within_s:
                    late.setdefault(key, []).append((kind, latency))
                if slowest is None or latency > slowest.latency_s:
                    slowest = Slowest(key, latency, kind)
        stats: dict[str, dict[str, float]] = {}
        for kind, values in latencies.items():
            values.sort()
            stats[kind] = {
                "p50": nearest_rank(values, 0.5),
                "p90": nearest_rank(values, 0.90),
                "p99": nearest_rank(values, 0.99),
                "max": values[-1] if values else 0.0,
            }
        return ArrivalSummary(
            orders=len(self._orders),
            accepted=self.accepted,
            arrived=dict(self.arrived),
            latency_s=stats,
            slowest=slowest,
            missing=missing,
            late=late,
            within_s=within_s,
        )
