from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from accord.errors import AccordError

#: Where the order service may list its seeded catalogues (each a list of objects, or a page).
CUSTOMERS_PATH = "/customers"
ITEMS_PATH = "/items"
#: The ids the order service seeds, used when it does not list its catalogues over HTTP.
SEEDED_CUSTOMER_IDS: tuple[str, ...] = ("c-1", "c-2", "c-3", "c-4")
SEEDED_ITEM_IDS: tuple[str, ...] = ("i-1", "i-2", "i-3", "i-4", "i-5")
#: Addresses the generated orders ship and bill to.
ADDRESSES: tuple[dict[str, str], ...] = (
    {"street": "Unter den Linden 1", "zip": "10117", "city": "Berlin"},
    {"street": "Jungfernstieg 7", "zip": "20354", "city": "Hamburg"},
    {"street": "Marienplatz 8", "zip": "80331", "city": "Munich"},
    {"street": "Domkloster 4", "zip": "50667", "city": "Cologne"},
)


class OrderPlacementError(AccordError):
    """The order service refused an order or could not be reached."""


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order the order service accepted.

    Attributes:
        order_id: the id the service gave it (the Kafka record key of its events).
        placed_at: ``time.monotonic()`` when the service answered.
        accepted_at: the service's ``acceptedAt`` (RFC 3339) when it returned one.
    """

    order_id: str
    placed_at: float
    accepted_at: str | None = None


class Pacer:
    """Spaces calls at a fixed rate on a monotonic schedule.

    Call ``i`` is due at ``start + i / rate``; a late call goes at once and the schedule
    does not drift, so N calls take N / rate seconds however long each one took.

    Args:
        rate: calls per second; None or 0 means as fast as possible.
        clock: a monotonic clock in seconds.
        sleep: how to wait.
    """

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError(f"rate must not be negative, got {rate}")
        self.rate = rate or None
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self._index = 0

    def due(self, index: int) -> float:
        """When call ``index`` is due (on the pacer's clock); needs a first :meth:`wait`."""
        assert self._start is not None and self.rate is not None
        return self._start + index / self.rate

    def wait(self) -> None:
        """Block until the next call is due."""
        if self.rate is None:
            return
        now = self._clock()
        if self._start is None:
            self._start = now
        delay = self.due(self._index) - now
        self._index += 1
        if delay > 0:
            self._sleep(delay)


def _ids(body: Any, what: str, field: str) -> list[str]:
    # A plain list or a page ({"items": [...]}) of objects that carry ``field``.
    if isinstance(body, dict):
        lists = [body[k] for k in (what, "items", "data") if isinstance(body.get(k), list)]
        body = lists[0] if lists else body
    if not isinstance(body, list) or not all(isinstance(x, dict) and field in x for x in body):
        raise OrderPlacementError(
            f"the order service's {what} catalogue is not a list of objects with {field!r}"
        )
    return [str(x[field]) for x in body]


class OrderClient:
    """Places orders on the order service from its seeded catalogues.

    Args:
        base_url: the order service, e.g. ``http://127.0.0.1:41234``.
        seed: makes the generated orders reproducible.
        timeout_s: per request.
    """

    def __init__(self, base_url: str, *, seed: int | None = None, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._rng = random.Random(seed)
        self._timeout_s = timeout_s
        self._session = requests.Session()
        self.customer_ids: list[str] = []
        self.item_ids: list[str] = []
        #: Every order the service accepted through this client, in order: what an audit
        #: reconciles the triggers with (``accord_consistency.track(client)``).
        self.accepted: list[PlacedOrder] = []

    def close(self) -> None:
        self._session.close()

    def _catalogue(self, path: str, what: str, field: str, seeded: tuple[str, ...]) -> list[str]:
        url = self.base_url + path
        try:
            response = self._session.get(url, timeout=self._timeout_s)
        except requests.RequestException as exc:
            raise OrderPlacementError(f"GET {url} failed: {exc}") from None
        if response.status_code in (404, 405):
            return list(seeded)
        if response.status_code != 200:
            raise OrderPlacementError(
                f"GET {url} answered {response.status_code}: {response.text[:300]}"
            )
        return _ids(response.json(), what, field)

    def load_catalogue(self) -> None:
        """Fetch the seeded customer and item ids (the known seeds if not listed over HTTP)."""
        self.customer_ids = self._catalogue(
            CUSTOMERS_PATH, "customers", "customerId", SEEDED_CUSTOMER_IDS
        )
        self.item_ids = self._catalogue(ITEMS_PATH, "items", "itemId", SEEDED_ITEM_IDS)
        if not self.customer_ids or not self.item_ids:
            raise OrderPlacementError(
                f"the order service at {self.base_url} has an empty catalogue "
                f"({len(self.customer_ids)} customers, {len(self.item_ids)} items)"
            )

    def make_order(self) -> dict[str, Any]:
        """A random valid ``POST /orders`` body: a seeded customer, 1-3 distinct items."""
        if not self.customer_ids:
            self.load_catalogue()
        rng = self._rng
        picked = rng.sample(self.item_ids, k=min(len(self.item_ids), rng.randint(1, 3)))
        shipping = rng.choice(ADDRESSES)
        return {
            "customerId": rng.choice(self.customer_ids),
            "shippingAddress": dict(shipping),
            "billingAddress": dict(rng.choice((shipping, *ADDRESSES))),
            "lines": [{"count": rng.randint(1, 3), "itemId": item} for item in picked],
        }

    def place(self, body: dict[str, Any] | None = None) -> PlacedOrder:
        """POST one order; raise :class:`OrderPlacementError` unless it is accepted."""
        url = self.base_url + "/orders"
        try:
            response = self._session.post(
                url, json=body or self.make_order(), timeout=self._timeout_s
            )
        except requests.RequestException as exc:
            raise OrderPlacementError(f"POST {url} failed: {exc}") from None
        placed_at = time.monotonic()
        if response.status_code not in (200, 201, 202):
            raise OrderPlacementError(
                f"POST {url} answered {response.status_code}: {response.text[:300]}"
            )
        answer = response.json()
        order_id = answer.get("orderId") or answer.get("id")
        if not order_id:
            raise OrderPlacementError(f"POST {url} answered without an order id: {answer!r:.300}")
        placed = PlacedOrder(str(order_id), placed_at, answer.get("acceptedAt"))
        self.accepted.append(placed)
        return placed


#: Requests in flight at once by default: the order service answers one in about 11 ms
#: (SQLite) to 19 ms (PostgreSQL), so one at a time caps a run near 50-90 orders/s.
DEFAULT_CONCURRENCY = 16


def place_orders(
    base_url: str,
    count: int,
    *,
    rate: float | None = None,
    seed: int | None = None,
    on_placed: Callable[[PlacedOrder], None] | None = None,
    stop: threading.Event | None = None,
    pacer: Pacer | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[PlacedOrder]:
    """Place ``count`` orders on the order service, ``rate`` per second (None: at once).

    Orders are sent by ``concurrency`` threads, each with its own HTTP/1.1 connection: the
    pacer releases order ``i`` at its due time and a free thread sends it, so the rate is
    not capped by one request's latency. The order bodies are drawn in sequence from the
    seed, so a seed makes the same orders whatever the threads do.

    Args:
        base_url: the order service.
        count: how many orders.
        rate: orders per second, on a monotonic schedule.
        seed: makes the orders reproducible.
        on_placed: called after each accepted order (e.g. to show progress), one call at a
            time.
        stop: set it to stop early (Ctrl-C in another thread).
        pacer: a pacer to use instead of one built from ``rate`` (tests inject a clock).
        concurrency: requests in flight at most.

    Returns:
        The accepted orders in the order the service answered them.

    Raises:
        OrderPlacementError: an order was refused or the service could not be reached.
    """
    import queue

    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    client = OrderClient(base_url, seed=seed)
    if pacer is None:
        # Sleep on the stop event, so stopping does not wait out a long gap between orders.
        pacer = Pacer(rate, sleep=stop.wait if stop is not None else time.sleep)
    placed: list[PlacedOrder] = []
    errors: list[BaseException] = []
    failed = threading.Event()
    lock = threading.Lock()
    jobs: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=concurrency)

    def work() -> None:
        worker = OrderClient(base_url)
        try:
            while True:
                body = jobs.get()
                if body is None:
                    return
                if failed.is_set():
                    continue  # drain: the run is over
                try:
                    order = worker.place(body)
                except BaseException as exc:  # the first failure ends the run
                    with lock:
                        errors.append(exc)
                    failed.set()
                    continue
                with lock:
                    placed.append(order)
                    if on_placed is not None:
                        on_placed(order)
        finally:
            worker.close()

    workers = [
        threading.Thread(target=work, name=f"accord-order-{i}", daemon=True)
        for i in range(min(concurrency, max(count, 1)))
    ]
    try:
        client.load_catalogue()
        for thread in workers:
            thread.start()
        for _ in range(count):
            if (stop is not None and stop.is_set()) or failed.is_set():
                break
            body = client.make_order()  # drawn in sequence: the seed decides the orders
            pacer.wait()
            jobs.put(body)
    finally:
        for _ in workers:
            jobs.put(None)
        for thread in workers:
            if thread.ident:
                thread.join()
        client.close()
    if errors:
        raise errors[0]
    return placed


def achieved_rate(placed: list[PlacedOrder], started_at: float) -> float | None:
    """Orders per second from ``started_at`` to the last answer (None: nothing placed)."""
    if not placed:
        return None
    span = max(order.placed_at for order in placed) - started_at
    return len(placed) / span if span > 0 else None
