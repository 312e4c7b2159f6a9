"""Bootstrap and database wiring without Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from reference_services.bootstrap import bootstrap, running
from reference_services.common.db import create_db_engine, default_database_url

pytestmark = pytest.mark.unit


def test_running_serves_in_process_and_stops() -> None:
    with running("order") as service:
        assert service.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{service.url}/health", timeout=5).json() == {"status": "ok"}
        url = service.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/health", timeout=2)


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service 'billing'"):
        bootstrap("billing")


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://postgres@127.0.0.1/x", "postgresql+psycopg"),
        ("postgres://postgres@127.0.0.1/x", "postgresql+psycopg"),
        ("postgresql+psycopg://postgres@127.0.0.1/x", "postgresql+psycopg"),
        ("sqlite://", "sqlite"),
    ],
)
def test_database_urls_get_the_right_driver(url: str, driver: str) -> None:
    engine = create_db_engine(url)
    try:
        assert engine.url.drivername == driver
    finally:
        engine.dispose()


def test_sqlite_file_is_the_default_and_survives_a_restart(tmp_path: Path) -> None:
    from reference_services.order.domain import Address
    from reference_services.order.service_layer.handlers import PlaceOrder, list_orders, place_order

    url = default_database_url("order", tmp_path)
    assert url == f"sqlite:///{tmp_path / 'reference-order.db'}"
    home = Address("Main 1", "10115", "Berlin")
    first = bootstrap("order", database_url=url)
    try:
        order = place_order(
            PlaceOrder("c-1", home, home, [(1, "i-1")]),
            first.uow_factory(),
            now=lambda: datetime.now(UTC),
        )
    finally:
        first.stop()
    again = bootstrap("order", database_url=url)  # seeding again must not clash
    try:
        assert list_orders(0, 10, again.uow_factory()) == ([order], 1)
    finally:
        again.stop()
