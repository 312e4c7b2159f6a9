"""The events the services publish match contracts/schemas v1 and the CloudEvents conventions;
incoming events of the wrong shape are refused with the JSON pointer of the problem."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from accord.events import from_kafka
from reference_services.common.errors import UnprocessableEvent
from reference_services.common.runtime import ServiceRuntime
from reference_services.invoicing.adapters import events as invoicing_events
from reference_services.invoicing.service_layer.handlers import (
    handle_order_accepted as invoice_order,
)
from reference_services.order.adapters.events import (
    order_accepted_event,
    order_accepted_message,
)
from reference_services.samples import sample_order
from reference_services.samples import sample_order_accepted as order_accepted
from reference_services.shipping.adapters import events as shipping_events
from reference_services.shipping.service_layer.handlers import (
    handle_order_accepted as ship_order,
)

pytestmark = pytest.mark.unit


def test_order_accepted_matches_schema_and_cloudevents_conventions(
    schema_errors: Callable[[str, Any], list[str]],
) -> None:
    event = order_accepted_event(sample_order())
    assert schema_errors("order.accepted", event["data"], 2) == []
    # v2 only adds an optional string, which v1's partially open model already accepts
    assert schema_errors("order.accepted", event["data"], 1) == []
    assert event["type"] == "order.accepted"
    assert event["source"] == "/reference/order"
    assert event["dataschema"] == "urn:accord:schemas:order.accepted:v2"
    assert event["data"]["currency"] == "EUR"
    assert event["partitionkey"] == "8a5b9c1e-0d2f-4e3a-9b7c-6d5e4f3a2b1c"
    assert event["time"] == "2026-11-26T12:00:00.000000Z" == event["data"]["acceptedAt"]
    assert event["data"]["total"] == "200.29"
    assert event["data"]["lines"][0] == {
        "count": 3,
        "item": {"itemId": "i-9", "name": "Sticker", "price": "0.10"},
    }


def test_order_accepted_event_id_is_stable_per_order() -> None:
    order = sample_order()
    assert order_accepted_event(order)["id"] == order_accepted_event(order)["id"]


def test_order_accepted_message_is_binary_mode_keyed_by_order_id() -> None:
    order = sample_order()
    message = order_accepted_message(order)
    headers = dict(message.headers)
    assert message.key == str(order.order_id).encode()
    assert headers["ce_type"] == b"order.accepted"
    assert headers["ce_partitionkey"] == message.key
    assert headers["content-type"] == b"application/json"
    assert {"ce_specversion", "ce_id", "ce_source", "ce_time", "ce_dataschema"} <= set(headers)
    assert from_kafka(message.key, message.value, message.headers) == order_accepted_event(order)


@pytest.mark.parametrize("name", ["shipping", "invoicing"])
def test_outgoing_events_match_their_schemas(
    name: str,
    service: Callable[[str], ServiceRuntime],
    schema_errors: Callable[[str, Any], list[str]],
) -> None:
    runtime = service(name)
    incoming = order_accepted()
    if name == "shipping":
        created = ship_order(incoming, runtime.uow_factory())
        event = shipping_events.delivery_created_event(created)
        event_type = "delivery.created"
    else:
        created = invoice_order(incoming, runtime.uow_factory())
        event = invoicing_events.invoice_created_event(created)
        event_type = "invoice.created"
    assert schema_errors(event_type, event["data"]) == []
    assert event["type"] == event_type
    assert event["source"] == f"/reference/{name}"
    assert event["partitionkey"] == incoming["data"]["orderId"] == event["data"]["orderId"]
    assert event["time"] == event["data"]["createdAt"]
    assert event["dataschema"] == f"urn:accord:schemas:{event_type}:v1"


@pytest.mark.parametrize("version", [1, 2])
def test_both_consumers_read_order_accepted_v1_and_v2(
    version: int, service: Callable[[str], ServiceRuntime]
) -> None:
    incoming = order_accepted()
    if version == 2:
        incoming["data"]["currency"] = "EUR"
        incoming["dataschema"] = "urn:accord:schemas:order.accepted:v2"
    assert invoicing_events.parse_order_accepted(incoming).currency == "EUR"
    invoice = invoice_order(incoming, service("invoicing").uow_factory())
    assert (invoice.currency, invoice.total) == ("EUR", Decimal("400.28"))
    delivery = ship_order(incoming, service("shipping").uow_factory())
    assert str(delivery.order_id) == incoming["data"]["orderId"]


def test_invoicing_uses_currency_of_v2_and_bills_only_in_eur(
    service: Callable[[str], ServiceRuntime],
) -> None:
    incoming = order_accepted(currency="USD")
    assert invoicing_events.parse_order_accepted(incoming).currency == "USD"
    with pytest.raises(UnprocessableEvent, match="bills in EUR only, got USD"):
        invoice_order(incoming, service("invoicing").uow_factory())
    with pytest.raises(UnprocessableEvent, match="/currency: must be a non-empty string"):
        invoicing_events.parse_order_accepted(order_accepted(currency=""))


def test_invoice_created_carries_exact_amounts() -> None:
    invoice = invoicing_events.parse_order_accepted(order_accepted())
    assert invoice.stated_total == Decimal("400.28")
    assert [line.amount for line in invoice.lines] == [Decimal("399.98"), Decimal("0.30")]


def _without(path: list[str | int]) -> dict[str, Any]:
    event = order_accepted()
    target: Any = event["data"]
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({**order_accepted(), "type": "order.cancelled"}, "expected type 'order.accepted'"),
        ({**order_accepted(), "data": "not an object"}, "/data: must be an object"),
        (_without(["orderId"]), "/orderId: missing"),
        (_without(["lines", 0, "item", "name"]), "/lines/0/item/name: missing"),
        (order_accepted(orderId="42"), "/orderId: not a UUID"),
        (order_accepted(lines=[]), "/lines: must be an array of at least 1"),
        (order_accepted(lines=[{"count": True, "item": {}}]), "/lines/0/count"),
        (order_accepted(total=400.28), "/total: money must be a string"),
        (
            order_accepted(billingAddress={"street": "a\x00b", "zip": "12345", "city": "c"}),
            "/billingAddress/street: control characters",
        ),
        (
            order_accepted(billingAddress={"street": "a", "zip": "1", "city": "c"}),
            "/billingAddress/zip: not a zip code",
        ),
    ],
)
def test_invoicing_refuses_wrong_shapes_naming_the_pointer(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnprocessableEvent, match=message.replace("(", r"\(")):
        invoicing_events.parse_order_accepted(event)


def test_shipping_is_a_tolerant_reader_but_needs_what_it_uses() -> None:
    # Shipping uses no prices: a missing total does not bother it; a missing address does.
    lenient = _without(["total"])
    assert shipping_events.parse_order_accepted(lenient).customer_name == "Ada Lovelace"
    with pytest.raises(UnprocessableEvent, match="/shippingAddress: missing"):
        shipping_events.parse_order_accepted(_without(["shippingAddress"]))
