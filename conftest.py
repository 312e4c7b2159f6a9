"""Root conftest: the reference system as fixtures for ``checks/``.

accord's pytest plugin (entry point ``accord``) provides ``accord_broker``,
``accord_reference_system`` and the checking fixtures; this file adds what the checks of
the reference system need on top: how many orders to place, a way to slow invoicing on
purpose (to see the SLA check fail), and a client per service API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from accord.system import OrderClient, ReferenceSystem

#: The environment variable twin of ``--accord-invoicing-delay-ms``.
INVOICING_DELAY_ENV = "ACCORD_INVOICING_DELAY_MS"
#: Orders the consistency check places on the Atom transport unless --accord-orders says:
#: fewer than on Kafka, to keep the second run of checks/ short.
ATOM_ORDERS = 50


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("accord reference system (checks/)")
    group.addoption(
        "--accord-orders",
        type=int,
        default=None,
        metavar="N",
        help="orders the consistency check places (default 200; on the Atom transport "
        f"{ATOM_ORDERS} unless given here) [ini: accord_orders]",
    )
    group.addoption(
        "--accord-invoicing-delay-ms",
        type=int,
        default=None,
        metavar="MS",
        help="slow the invoicing service by MS per event, on purpose "
        f"[env: {INVOICING_DELAY_ENV}]",
    )
    parser.addini(
        "accord_orders",
        type="int",
        default=200,
        help="orders the consistency check of checks/ places",
    )


@pytest.fixture(scope="session")
def orders_to_place(pytestconfig: pytest.Config, accord_transport: str) -> int:
    """How many orders the consistency check places (``--accord-orders``, ini, 200; on the
    Atom transport at most 50 unless ``--accord-orders`` is given)."""
    count = pytestconfig.getoption("accord_orders")
    if count is None:
        count = int(pytestconfig.getini("accord_orders"))
        if accord_transport == "atom":
            count = min(count, ATOM_ORDERS)
    if count < 1:
        raise pytest.UsageError(f"--accord-orders={count}: place at least one order")
    return int(count)


@pytest.fixture(scope="session")
def accord_reference_system_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Passes ``--accord-invoicing-delay-ms`` (or its env twin) to the reference system."""
    delay = pytestconfig.getoption("accord_invoicing_delay_ms")
    if delay is None:
        raw = os.environ.get(INVOICING_DELAY_ENV, "0") or "0"
        try:
            delay = int(raw)
        except ValueError:
            raise pytest.UsageError(
                f"{INVOICING_DELAY_ENV}={raw!r} is not a number of milliseconds"
            ) from None
    return {"invoicing_delay_ms": delay}


@pytest.fixture(scope="session")
def reference_system(accord_reference_system: ReferenceSystem) -> ReferenceSystem:
    """The running reference system (plugin fixture ``accord_reference_system``)."""
    return accord_reference_system


@pytest.fixture(scope="session")
def order_api(accord_reference_system: ReferenceSystem) -> Iterator[OrderClient]:
    """Places orders on the running order service (``.place()`` -> ``PlacedOrder``)."""
    from accord.system import OrderClient

    client = OrderClient(accord_reference_system.urls["order"], seed=5)
    client.load_catalogue()
    try:
        yield client
    finally:
        client.close()


class ServiceSession(requests.Session):
    """A ``requests.Session`` that resolves paths like ``/invoices`` against one service."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


def _service_session(system: ReferenceSystem, name: str) -> Iterator[requests.Session]:
    session = ServiceSession(system.urls[name])
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="session")
def shipping_api(accord_reference_system: ReferenceSystem) -> Iterator[requests.Session]:
    """A ``requests.Session`` for the shipping service: ``shipping_api.get("/deliveries")``."""
    yield from _service_session(accord_reference_system, "shipping")


@pytest.fixture(scope="session")
def invoicing_api(accord_reference_system: ReferenceSystem) -> Iterator[requests.Session]:
    """A ``requests.Session`` for the invoicing service: ``invoicing_api.get("/invoices")``."""
    yield from _service_session(accord_reference_system, "invoicing")
