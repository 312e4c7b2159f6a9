from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from accord.errors import AccordError
from accord.system._follow import EventFollower
from accord.system._orders import PlacedOrder, place_orders
from accord.system._reference import TOPICS, ReferenceSystem
from accord.system._tracking import EXPECTED, TRIGGER, ArrivalSummary, ArrivalTracker


@dataclass(frozen=True, slots=True)
class DemoProgress:
    """How far a demo run is, for a progress line.

    Attributes:
        placed: orders accepted so far.
        total: orders to place.
        invoices: placed orders with an invoice.
        deliveries: placed orders with a delivery.
        complete: placed orders with their acceptance, invoice and delivery events.
        elapsed_s: seconds since the first order.
        remaining_s: seconds until the run gives up, once all orders are placed.
    """

    placed: int
    total: int
    invoices: int
    deliveries: int
    complete: int
    elapsed_s: float
    remaining_s: float | None = None


def format_progress(progress: DemoProgress) -> str:
    """One line: ``orders 120/200  invoices 118  deliveries 117  complete 117  3.2s``."""
    from accord._durations import format_duration

    width = len(str(progress.total))
    line = (
        f"orders {progress.placed:>{width}}/{progress.total}  "
        f"invoices {progress.invoices:>{width}}  "
        f"deliveries {progress.deliveries:>{width}}  "
        f"complete {progress.complete:>{width}}  "
        f"{format_duration(progress.elapsed_s)}"
    )
    if progress.remaining_s is not None and progress.complete < progress.total:
        line += f"  (gives up in {format_duration(max(0.0, progress.remaining_s))})"
    return line


class Checker(Protocol):
    """What the demo needs from a consistency checker (the consistency engine fits)."""

    def add(self, event: dict[str, Any]) -> None: ...

    def report(self, until: datetime | None = None, *, complete: bool = False) -> dict[str, Any]:
        ...


def default_checker(within_s: float) -> Checker | None:
    """The consistency engine set up for the reference system, or None if not installed."""
    try:
        from accord.consistency import ConsistencyEngine, Expectation
    except ImportError:
        return None
    engine: Checker = ConsistencyEngine(
        trigger=TRIGGER,
        expectations=[Expectation(kind, within_s=within_s) for kind in EXPECTED],
    )
    return engine


@dataclass
class DemoResult:
    """The outcome of :func:`run_demo`.

    Attributes:
        placed: the accepted orders.
        summary: what arrived, what is missing or late, the slowest order.
        report: the consistency engine's report (``report.json`` shape), if it ran.
        place_s: seconds spent placing orders.
        wait_s: seconds from the first order until the run stopped.
        timed_out: the run stopped at its limit, not because everything arrived.
        undecodable: records on the topics that were not CloudEvents.
        notes: events of this run's orders the checker could not use, with the reason.
    """

    placed: list[PlacedOrder]
    summary: ArrivalSummary
    report: dict[str, Any] | None
    place_s: float
    wait_s: float
    timed_out: bool
    undecodable: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every order got every expected event in time (and the engine agrees)."""
        consistent = self.report is None or bool(self.report.get("consistent", False))
        return self.summary.ok and consistent and not self.timed_out and not self.notes


class Follower(Protocol):
    """What :func:`run_demo` reads events from (:class:`EventFollower` fits)."""

    undecodable: int

    def poll(self, timeout_s: float = 0.2) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


#: ``place(url, count, rate=, seed=, on_placed=, stop=)``, as :func:`place_orders`.
PlaceFunction = Callable[..., list[PlacedOrder]]


class _Placer(threading.Thread):
    def __init__(
        self, place: PlaceFunction, url: str, count: int, rate: float | None, seed: int | None
    ) -> None:
        super().__init__(name="accord-demo-orders", daemon=True)
        self.place, self.url, self.count, self.rate, self.seed = place, url, count, rate, seed
        self.placed: queue.SimpleQueue[PlacedOrder] = queue.SimpleQueue()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.finished_at: float | None = None

    def run(self) -> None:
        try:
            self.place(
                self.url, self.count, rate=self.rate, seed=self.seed,
                on_placed=self.placed.put, stop=self.stop,
            )
        except BaseException as exc:  # handed to the main thread, which raises it
            self.error = exc
        finally:
            self.finished_at = time.monotonic()


def _follower(system: ReferenceSystem) -> Follower:
    """Every event of the system's topics (Kafka) or feeds (Atom), from the start."""
    if getattr(system, "transport", "kafka") == "atom":
        from accord.system._atom_follow import FeedFollower

        return FeedFollower(system.feeds.values())
    assert system.broker is not None
    return EventFollower(system.broker, list(TOPICS))


def run_demo(
    system: ReferenceSystem,
    orders: int,
    *,
    within_s: float = 60.0,
    rate: float | None = None,
    seed: int | None = None,
    checker: Checker | None = None,
    on_progress: Callable[[DemoProgress], None] | None = None,
    progress_interval_s: float = 0.2,
    follower: Follower | None = None,
    place: PlaceFunction = place_orders,
) -> DemoResult:
    """Place orders on a running reference system and wait for their invoices and deliveries.

    Reads topics ``order``, ``invoice`` and ``delivery`` from the start, judges only the
    orders this run placed, and stops when each has its invoice and delivery, or when
    ``within_s`` has passed since the last order was placed.

    Args:
        system: a started reference system.
        orders: how many orders to place.
        within_s: the limit per order, from its acceptance to its invoice and delivery.
        rate: orders per second (None: as fast as the order service takes them).
        seed: makes the orders reproducible.
        checker: receives every event of this run's orders (the consistency engine); its
            report is returned.
        on_progress: called about every ``progress_interval_s`` and once at the end.
        progress_interval_s: how often to report progress.
        follower: where events come from; by default all partitions of ``order``,
            ``invoice`` and ``delivery`` from the start (with the Atom transport: the three
            services' feeds from their oldest archive page).
        place: how orders are placed (tests pass a fake).

    Raises:
        OrderPlacementError: the order service refused an order.
        ServiceError: a service died during the run.
    """
    unusable: list[str] = []

    def check(event: dict[str, Any]) -> None:
        assert checker is not None
        try:
            checker.add(event)
        except AccordError as exc:  # a malformed event is a finding, not a crash
            unusable.append(f"{event.get('type')} {event.get('id')}: {exc}")

    tracker = ArrivalTracker(sink=check if checker is not None else None)
    events = follower if follower is not None else _follower(system)
    placer = _Placer(place, system.urls["order"], orders, rate, seed)
    started = time.monotonic()
    last_report = 0.0
    last_placed: float | None = None
    timed_out = False
    placed: list[PlacedOrder] = []

    def progress(final: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if on_progress is None or (not final and now - last_report < progress_interval_s):
            return
        last_report = now
        on_progress(
            DemoProgress(
                placed=tracker.orders,
                total=orders,
                invoices=tracker.arrived["invoice.created"],
                deliveries=tracker.arrived["delivery.created"],
                complete=tracker.complete,
                elapsed_s=now - started,
                remaining_s=(
                    last_placed + within_s - now
                    if last_placed is not None and placer.finished_at is not None
                    else None
                ),
            )
        )

    placer.start()
    try:
        next_health_check = started
        while True:
            while True:
                try:
                    order = placer.placed.get_nowait()
                except queue.Empty:
                    break
                placed.append(order)
                tracker.expect(order.order_id)
                last_placed = order.placed_at
            for event in events.poll(0.1):
                tracker.add(event)
            now = time.monotonic()
            if now >= next_health_check:
                system.check()
                next_health_check = now + 1.0
            placing_done = placer.finished_at is not None and placer.placed.empty()
            if placing_done and placer.error is not None:
                raise placer.error
            progress()
            if placing_done and tracker.all_complete():
                break
            if placing_done and (last_placed is None or now > last_placed + within_s):
                timed_out = not tracker.all_complete()
                break
    finally:
        placer.stop.set()
        placer.join(timeout=15)
        events.close()
    progress(final=True)
    wait_s = time.monotonic() - started
    place_s = (placer.finished_at or started) - started
    report = None
    if checker is not None:
        # When everything arrived, the latest event time ends the window; when time ran
        # out, now does, so orders without an invoice count as missing, not pending.
        until = datetime.now(UTC) if timed_out else None
        # The run has stopped: its events are the whole history, so a key without a match
        # is missing, never pending.
        report = checker.report(until=until, complete=True)
    return DemoResult(
        placed=placed,
        summary=tracker.summary(within_s),
        report=report,
        place_s=place_s,
        wait_s=wait_s,
        timed_out=timed_out,
        undecodable=events.undecodable,
        notes=unusable,
    )



