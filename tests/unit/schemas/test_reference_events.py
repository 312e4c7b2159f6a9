"""The reference services' events validate, and their consumers survive any valid order.

Uses the services' own event builders (``reference_services.*.adapters.events``) and the
Hypothesis strategies: for every schema-valid ``order.accepted``, shipping and invoicing
either emit a schema-valid event of their own or refuse the order with a domain rule
(``UnprocessableEvent``, which the consumer dead-letters); nothing else may happen.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from accord.schemas import SchemaRegistry

pytestmark = pytest.mark.unit

hypothesis = pytest.importorskip("hypothesis", reason="the strategies need the test extra")
order_events = pytest.importorskip("reference_services.order.adapters.events")
shipping_events = pytest.importorskip("reference_services.shipping.adapters.events")
invoicing_events = pytest.importorskip("reference_services.invoicing.adapters.events")
shipping_domain = pytest.importorskip("reference_services.shipping.domain")
invoicing_domain = pytest.importorskip("reference_services.invoicing.domain")
samples = pytest.importorskip("reference_services.samples")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from accord.schemas.strategies import events  # noqa: E402
from reference_services.common.errors import UnprocessableEvent  # noqa: E402

_REGISTRY = SchemaRegistry.from_directory(
    __import__("pathlib").Path(__file__).resolve().parents[3] / "contracts"
)
_NOW = datetime(2026, 11, 26, 12, 0, 5, tzinfo=UTC)


def ship(order_accepted: dict[str, Any]) -> dict[str, Any]:
    """What shipping publishes for an order.accepted."""
    to_ship = shipping_events.parse_order_accepted(order_accepted)
    try:
        delivery = shipping_domain.create_delivery(to_ship, uuid.uuid4(), _NOW)
    except shipping_domain.InvalidDelivery as exc:
        raise UnprocessableEvent(str(exc)) from None
    return dict(shipping_events.delivery_created_event(delivery))


def bill(order_accepted: dict[str, Any]) -> dict[str, Any]:
    """What invoicing publishes for an order.accepted."""
    to_invoice = invoicing_events.parse_order_accepted(order_accepted)
    try:
        invoice = invoicing_domain.create_invoice(to_invoice, uuid.uuid4(), _NOW)
    except invoicing_domain.InvalidInvoice as exc:
        raise UnprocessableEvent(str(exc)) from None
    return dict(invoicing_events.invoice_created_event(invoice))


def test_the_services_events_of_a_sample_order_validate() -> None:
    order_event = order_events.order_accepted_event(samples.sample_order())
    _REGISTRY.check(order_event, key=order_event["partitionkey"])
    produced = [ship(order_event), bill(order_event)]
    assert [e["type"] for e in produced] == ["delivery.created", "invoice.created"]
    for event in produced:
        _REGISTRY.check(event, key=order_event["partitionkey"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(_REGISTRY, "order.accepted"))
def test_consumers_emit_valid_events_or_refuse_for_any_valid_order(
    order_event: dict[str, Any],
) -> None:
    for service in (ship, bill):
        try:
            event = service(order_event)
        except UnprocessableEvent:
            continue  # a domain rule the schema cannot express (e.g. total != sum of lines)
        assert _REGISTRY.validate(event, key=order_event["partitionkey"]) == [], service
        assert event["partitionkey"] == order_event["data"]["orderId"]
