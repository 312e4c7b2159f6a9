"""The order service honours every consumer's pact in contracts/pacts/.

Messages come from the real outbox relay (the record it hands to Kafka, headers as message
metadata); provider states place orders through the order service layer in a fresh
database; HTTP interactions hit the real FastAPI app on a free 127.0.0.1 port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.pacts import load_pacts, verify_provider
from reference_services.order.entrypoints.pact_provider import OrderProvider

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A fresh database for the provider states: a SQLite file, or a new PostgreSQL DB."""
    if request.param == "sqlite":
        yield None
        return
    from accord.testing import postgres_database

    with postgres_database(prefix="accord_pact") as url:
        yield url


def test_order_service_honours_every_consumer_pact(
    pact_dir: Path, database_url: str | None
) -> None:
    pacts = load_pacts([pact_dir])
    expected = {(p.consumer, i.description) for p in pacts for i in p.interactions}
    assert {p.consumer for p in pacts} >= {"shipping", "invoicing"}
    assert all(p.provider == "order" for p in pacts)

    with OrderProvider(database_url) as provider:
        result = verify_provider(provider, [pact_dir], raises=True)

    assert {(o.consumer, o.description) for o in result.outcomes} == expected
    assert all(o.ok for o in result.outcomes), result.summary()
