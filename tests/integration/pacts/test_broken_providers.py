"""Deliberately broken order services fail verification, naming consumer, interaction and
JSON path; the intact one passes. Each breakage is made in the provider's own event builder
(``order_data``, which ``order_accepted_event`` -> outbox -> relay use) or its HTTP app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.events import to_kafka
from accord.pacts import ContractViolationError, VerificationResult, verify_provider
from reference_services.order.entrypoints.pact_provider import DEFAULT_ORDER_ID, OrderProvider

pytestmark = pytest.mark.integration

PACT_DIR = Path(__file__).resolve().parents[3] / "contracts" / "pacts"


@pytest.fixture(scope="module")
def provider() -> Iterator[OrderProvider]:
    with OrderProvider() as running:
        yield running


def _break_event(monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None]) -> None:
    from reference_services.order.adapters import events

    original = events.order_data

    def broken(order: Any) -> dict[str, Any]:
        data = original(order)
        change(data)
        return data

    monkeypatch.setattr(events, "order_data", broken)


def _failures(result: VerificationResult) -> set[tuple[str, str]]:
    return {(m.consumer, m.path) for m in result.mismatches}


def test_the_intact_provider_passes(provider: OrderProvider) -> None:
    result = verify_provider(provider, [PACT_DIR])
    assert result.ok, result.summary()
    assert result.consumers == ["invoicing", "shipping"]


def test_the_message_is_the_outbox_relays_record(provider: OrderProvider) -> None:
    from reference_services.order.adapters import events
    from reference_services.order.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    provider.state("an order was accepted", "setup", {"orderId": DEFAULT_ORDER_ID})
    record = provider.message("any", {})
    uow: Any = SqlAlchemyUnitOfWork(provider._engine)
    with uow:
        order = uow.orders.get(__import__("uuid").UUID(DEFAULT_ORDER_ID))
    assert record == to_kafka(events.order_accepted_event(order))
    assert dict(record.headers)["ce_type"] == b"order.accepted"


def test_dropping_billing_address_breaks_invoicing_only(
    provider: OrderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_event(monkeypatch, lambda d: d.pop("billingAddress"))
    result = verify_provider(provider, [PACT_DIR])
    assert not result.ok
    assert _failures(result) == {("invoicing", "$.billingAddress")}
    assert result.consumer_ok("shipping")
    with pytest.raises(ContractViolationError) as caught:
        result.raise_for_violations()
    error = caught.value
    assert (error.consumer, error.path) == ("invoicing", "$.billingAddress")
    assert error.interaction == "an order.accepted event for an order to invoice"
    assert "consumer 'invoicing'" in str(error)
    assert "'an order.accepted event for an order to invoice'" in str(error)
    assert "$.billingAddress" in str(error)
    assert isinstance(error, AssertionError)


def test_renaming_lines_to_items_breaks_both_consumers(
    provider: OrderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_event(monkeypatch, lambda d: d.__setitem__("items", d.pop("lines")))
    result = verify_provider(provider, [PACT_DIR])
    assert _failures(result) == {("invoicing", "$.lines"), ("shipping", "$.lines")}
    with pytest.raises(ContractViolationError, match=r"shipping.*\$\.lines"):
        verify_provider(provider, [PACT_DIR], raises=True)


def test_price_as_a_number_breaks_invoicing_only(
    provider: OrderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def as_number(data: dict[str, Any]) -> None:
        for line in data["lines"]:
            line["item"]["price"] = float(line["item"]["price"])

    _break_event(monkeypatch, as_number)
    result = verify_provider(provider, [PACT_DIR])
    # Every line's price is reported, even 199.99 whose text matches the money pattern.
    assert _failures(result) == {
        ("invoicing", "$.lines[0].item.price"),
        ("invoicing", "$.lines[1].item.price"),
    }


def test_a_renamed_event_type_header_breaks_both(
    provider: OrderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reference_services.order.adapters import events

    monkeypatch.setattr(events, "EVENT_TYPE", "order.placed")
    result = verify_provider(provider, [PACT_DIR])
    failing = _failures(result)
    assert ("shipping", "metadata.ce_type") in failing
    assert ("invoicing", "metadata.ce_type") in failing


def test_http_zip_as_free_text_breaks_the_order_details_pact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reference_services.order.entrypoints import app as order_app

    original = order_app.order_data

    def free_text_zip(order: Any) -> dict[str, Any]:
        data = original(order)
        data["shippingAddress"]["zip"] = "zip code 95014, USA"
        return data

    monkeypatch.setattr(order_app, "order_data", free_text_zip)
    # A fresh provider: the app binds order_data when it is created.
    with OrderProvider() as provider:
        result = verify_provider(provider, [PACT_DIR])
    assert _failures(result) == {("shipping", "$.shippingAddress.zip")}
    # Both of shipping's readers of the details: the support tool and the Atom poller.
    assert {m.interaction for m in result.mismatches} == {
        "a request for the details of an accepted order",
        "the details of an order in the feed",
    }


def test_an_unknown_provider_state_is_named(provider: OrderProvider, tmp_path: Path) -> None:
    import json

    pact = json.loads((PACT_DIR / "invoicing-order.json").read_text())
    pact["interactions"][0]["providerStates"] = [{"name": "an order was cancelled"}]
    path = tmp_path / "invoicing-order.json"
    path.write_text(json.dumps(pact))
    result = verify_provider(provider, [path])
    (mismatch,) = result.mismatches
    assert mismatch.path == "providerState"
    assert "unknown provider state 'an order was cancelled'" in mismatch.message
    assert "known: an order was accepted, an order exists" in mismatch.message


def test_a_feed_without_positions_breaks_both_pollers_pacts(
    provider: OrderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reference_services.common.atom import render

    # The entries' extension elements move to another namespace: no ac:position any more.
    monkeypatch.setattr(render, "AC", "urn:example:other")
    result = verify_provider(provider, [PACT_DIR])
    broken = {(m.consumer, m.interaction) for m in result.mismatches}
    assert broken == {
        ("shipping", "the head of the order feed, links only"),
        ("invoicing", "the head of the order feed, links only"),
    }
    assert any("urn:accord:feed:position" in m.message for m in result.mismatches)
