"""Invoicing's consumer contract with the order service (Pact V4).

Invoicing relies on ``order.accepted`` for: the order id, the whole customer (id, name,
email), the billing address, per line count, item id, name and price, and the stated total
(it checks the lines add up to it), and since ``order.accepted`` v2 the ``currency`` (it bills
in EUR only; v1 records without it are EUR). It ignores the shipping address. It needs the
CloudEvents headers that say what the record is. Money is a string with two decimals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pact import Pact, match

from reference_services.order.entrypoints.pact_provider import DEFAULT_ORDER_ID

pytestmark = pytest.mark.integration

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MONEY_RE = r"^-?[0-9]+\.[0-9]{2}$"
ZIP_RE = r"^[0-9A-Za-z -]{3,10}$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+$"
JSON_CONTENT_RE = r"^application/json(;.*)?$"
NOW = datetime(2026, 1, 15, 9, 32, tzinfo=UTC)

TEST_COUNT = 2
_passed: list[str] = []


@pytest.fixture(scope="module")
def pacts(pact_writer: Any) -> Iterator[tuple[Pact, Pact]]:
    """The V4 pact invoicing -> order, written to contracts/pacts/ when its tests passed.

    The Kafka message and the Atom poller's HTTP calls are declared on two handles (pact's
    mock server cannot serve a pact that also holds message interactions), merged into one.
    """
    messages = Pact("invoicing", "order").with_specification("V4")
    feed = Pact("invoicing", "order").with_specification("V4")
    yield messages, feed
    pact_writer([messages, feed], _passed, TEST_COUNT)


@pytest.fixture(scope="module")
def pact(pacts: tuple[Pact, Pact]) -> Pact:
    """The handle of the Kafka message interaction."""
    return pacts[0]


def order_accepted_body() -> dict[str, Any]:
    return {
        "orderId": match.regex(DEFAULT_ORDER_ID, regex=UUID_RE),
        "customer": {
            "customerId": match.str("c-1"),
            "name": match.str("Ada Lovelace"),
            "email": match.regex("ada@example.com", regex=EMAIL_RE),
        },
        "billingAddress": {
            "street": match.str("2 Main Street"),
            "zip": match.regex("10115", regex=ZIP_RE),
            "city": match.str("Berlin"),
        },
        "lines": match.each_like(
            {
                "count": match.int(2),
                "item": {
                    "itemId": match.str("i-1"),
                    "name": match.str("iPod"),
                    "price": match.str("199.99"),  # + the money regex, see money_rules()
                },
            },
            min=1,
        ),
        "total": match.str("399.98"),  # + the money regex
        "currency": match.str("EUR"),  # order.accepted v2; invoicing bills in EUR only
    }


def money_rules() -> dict[str, Any]:
    """Money must be a *string* (``match.str`` in the body) AND match the money pattern: pact's
    regex matcher alone also accepts a JSON number whose text matches (199.99), and invoicing
    would then lose exactness."""
    rule = {"combine": "AND", "matchers": [{"match": "regex", "regex": MONEY_RE}]}
    return {"body": {"$.lines[*].item.price": rule, "$.total": rule}}


def test_order_accepted_creates_an_invoice(
    pact: Pact, sqlite_engine: Any, record_from_pact: Any
) -> None:
    from reference_services.invoicing.adapters import orm
    from reference_services.invoicing.service_layer import handlers
    from reference_services.invoicing.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    (
        pact.upon_receiving("an order.accepted event for an order to invoice", "Async")
        .given("an order was accepted", {"orderId": DEFAULT_ORDER_ID})
        .with_body(order_accepted_body(), "application/json")
        .with_matching_rules(money_rules())
        .with_metadata(
            {
                "ce_type": "order.accepted",
                "ce_specversion": "1.0",
                "content-type": match.regex("application/json", regex=JSON_CONTENT_RE),
            }
        )
    )
    invoices = []

    def consume(body: Any, metadata: dict[str, Any]) -> None:
        event = record_from_pact(body, metadata)
        uow: Any = SqlAlchemyUnitOfWork(sqlite_engine(orm.metadata))
        invoices.append(handlers.handle_order_accepted(event, uow, now=lambda: NOW))

    pact.verify(consume, "Async")

    (invoice,) = invoices
    assert str(invoice.order_id) == DEFAULT_ORDER_ID
    assert (invoice.customer.customer_id, invoice.customer.email) == ("c-1", "ada@example.com")
    assert invoice.billing_address.city == "Berlin"
    assert [(line.count, line.unit_price) for line in invoice.lines] == [(2, Decimal("199.99"))]
    assert invoice.total == Decimal("399.98")
    assert invoice.currency == "EUR"
    _passed.append("message")


def test_the_atom_poller_reads_the_order_feed_and_the_details(
    pacts: tuple[Pact, Pact], sqlite_engine: Any
) -> None:
    """With ``--transport atom``: the feed's head (links only) and the order's details."""
    from reference_services.invoicing.adapters import orm
    from reference_services.invoicing.service_layer import handlers
    from reference_services.invoicing.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    from .conftest import declare_order_feed, poll_order_feed

    pact = pacts[1]
    # The details are the order resource, the event's data exactly: since order.accepted v2
    # it carries ``currency`` too, and invoicing (billing in EUR only) claims it.
    declare_order_feed(pact, DEFAULT_ORDER_ID, order_accepted_body(), money_rules())
    invoices = []
    engine = sqlite_engine(orm.metadata)

    def handle(event: dict[str, Any]) -> object:
        uow: Any = SqlAlchemyUnitOfWork(engine)
        invoice = handlers.handle_order_accepted(event, uow, now=lambda: NOW)
        invoices.append(invoice)
        return invoice

    with pact.serve(addr="127.0.0.1") as server:
        poller = poll_order_feed(f"{server.url}/feed", handle)
    assert (poller.processed, poller.dead_lettered, poller.rejected) == (1, 0, 0)
    (invoice,) = invoices
    assert str(invoice.order_id) == DEFAULT_ORDER_ID
    assert invoice.total == Decimal("399.98")
    assert invoice.currency == "EUR"
    _passed.append("feed")
