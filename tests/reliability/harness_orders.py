"""A paced stream of orders whose every HTTP outcome is counted: accepted, refused, unknown.

``accepted``: the order service answered 201 with an order id (the promise holds for it).
``refused``: the request never reached the service (connection refused: it was down) or the
service answered an error status: nothing was accepted.
``unknown``: the request may have reached the service, but no answer came (timeout,
connection reset mid-request): the order may or may not exist; the order database decides.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from accord.system import OrderClient, Pacer


@dataclass
class Outcomes:
    accepted: dict[str, datetime] = field(default_factory=dict)  # order id -> when answered
    refused: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.accepted) + self.refused + self.unknown


class OrderStream(threading.Thread):
    """Places ``count`` orders at ``rate`` per second on a thread.

    Args:
        order_url: the order service.
        count: how many requests to make.
        rate: requests per second.
        seed: makes the order bodies reproducible.
        timeout_s: per request; a request without an answer by then is ``unknown``.
    """

    def __init__(
        self, order_url: str, count: int, rate: float, seed: int, timeout_s: float = 5.0
    ) -> None:
        super().__init__(name="reliability-orders", daemon=True)
        self.url = order_url.rstrip("/") + "/orders"
        self.count = count
        self.pacer = Pacer(rate)
        self.timeout_s = timeout_s
        self.bodies = OrderClient(order_url, seed=seed)
        self.outcomes = Outcomes()
        self.halt = threading.Event()
        self.placed = 0

    def run(self) -> None:
        session = requests.Session()
        try:
            for _ in range(self.count):
                if self.halt.is_set():
                    break
                self.pacer.wait()
                self._one(session)
                self.placed += 1
        finally:
            session.close()

    def _one(self, session: requests.Session) -> None:
        # The catalogue is the seeded one (the order service's schema lists it as enums), so
        # bodies are made without asking a service that may be down right now.
        if not self.bodies.customer_ids:
            self.bodies.customer_ids = ["c-1", "c-2", "c-3", "c-4"]
            self.bodies.item_ids = ["i-1", "i-2", "i-3", "i-4", "i-5"]
        body = self.bodies.make_order()
        try:
            response = session.post(self.url, json=body, timeout=self.timeout_s)
        except requests.ConnectionError as exc:
            session.close()  # a reset connection stays broken in the pool otherwise
            if _refused(exc):
                self.outcomes.refused += 1
            else:
                self.outcomes.unknown += 1
            return
        except requests.RequestException:
            # A timeout, or a connection cut mid-response (ChunkedEncodingError, a SIGKILL of
            # the order service while it answered): the order may or may not have committed.
            session.close()
            self.outcomes.unknown += 1
            return
        if response.status_code == 201:
            try:
                order_id = str(response.json()["orderId"])
            except (ValueError, KeyError, TypeError):
                # A 201 whose body did not arrive whole: committed, but which order is unknown.
                self.outcomes.unknown += 1
                return
            self.outcomes.accepted[order_id] = datetime.now(UTC)
        elif response.status_code >= 500:
            # A 5xx after the body was read may still have committed: unknown, not refused.
            self.outcomes.unknown += 1
            self.outcomes.errors.append(f"{response.status_code}: {response.text[:200]}")
        else:
            self.outcomes.refused += 1
            self.outcomes.errors.append(f"{response.status_code}: {response.text[:200]}")

    def wait(self, timeout_s: float) -> Outcomes:
        self.join(timeout_s)
        if self.is_alive():
            self.halt.set()
            self.join(self.timeout_s + 5)
            raise AssertionError(f"orders not placed within {timeout_s:.0f}s ({self.placed} were)")
        return self.outcomes


def _refused(exc: requests.ConnectionError) -> bool:
    # urllib3 wraps ECONNREFUSED in NewConnectionError: the request never left the client.
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


def sleep_until(moment: float) -> None:
    """Wait until ``time.monotonic()`` reaches ``moment`` (a fault schedule's next step)."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
