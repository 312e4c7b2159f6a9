from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import UsageError
from accord.system import OrderClient, ServiceDatabases
from accord.system._orders import SEEDED_CUSTOMER_IDS, SEEDED_ITEM_IDS

pytestmark = pytest.mark.unit


def client(seed: int = 7) -> OrderClient:
    made = OrderClient("http://127.0.0.1:1", seed=seed)
    made.customer_ids, made.item_ids = list(SEEDED_CUSTOMER_IDS), list(SEEDED_ITEM_IDS)
    return made


def test_generated_orders_are_what_the_order_api_accepts() -> None:
    # The order service's own request model: drift between the two fails here.
    order_in = pytest.importorskip("reference_services.order.entrypoints.app").OrderIn
    maker = client()
    for _ in range(200):
        body = maker.make_order()
        order = order_in.model_validate(body)
        assert order.customerId in SEEDED_CUSTOMER_IDS
        item_ids = [line.itemId for line in order.lines]
        assert len(item_ids) == len(set(item_ids))  # no item twice: the domain refuses it


def test_the_seed_makes_orders_reproducible() -> None:
    first, second, other = client(1), client(1), client(2)
    assert [first.make_order() for _ in range(5)] == [second.make_order() for _ in range(5)]
    assert [client(1).make_order() for _ in range(5)] != [other.make_order() for _ in range(5)]


def test_seeded_catalogue_matches_the_order_service() -> None:
    catalogue = pytest.importorskip("reference_services.order.adapters.catalogue")
    assert {c.customer_id for c in catalogue.CUSTOMERS} == set(SEEDED_CUSTOMER_IDS)
    assert {i.item_id for i in catalogue.ITEMS} == set(SEEDED_ITEM_IDS)


def test_sqlite_databases_are_files_in_the_workdir(tmp_path: Path) -> None:
    urls = ServiceDatabases(["order", "shipping"], tmp_path / "db").create()
    assert urls == {
        "order": f"sqlite:///{(tmp_path / 'db').resolve()}/order.db",
        "shipping": f"sqlite:///{(tmp_path / 'db').resolve()}/shipping.db",
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a SQLAlchemy URL"),
        ("mysql://root@localhost/x", "must name a PostgreSQL server"),
    ],
)
def test_a_database_url_we_cannot_use_is_a_usage_error(
    tmp_path: Path, url: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ServiceDatabases(["order"], tmp_path, url).create()


def test_run_id_must_be_safe_in_a_database_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run id"):
        ServiceDatabases(["order"], tmp_path, None, run_id='x"; DROP')
