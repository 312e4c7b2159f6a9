"""The consumers' handlers without Kafka: idempotent on the order id, outbox in the same
transaction, and a lost race on the unique constraint returns the winner."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from reference_services.common.errors import UnprocessableEvent
from reference_services.common.runtime import ServiceRuntime
from reference_services.invoicing.adapters import orm as invoicing_orm
from reference_services.invoicing.service_layer import handlers as invoicing
from reference_services.samples import sample_order_accepted
from reference_services.shipping.adapters import orm as shipping_orm
from reference_services.shipping.service_layer import handlers as shipping

pytestmark = pytest.mark.unit

CASES = [
    ("shipping", shipping.handle_order_accepted, shipping_orm.deliveries, shipping_orm.outbox),
    ("invoicing", invoicing.handle_order_accepted, invoicing_orm.invoices, invoicing_orm.outbox),
]


def count(runtime: ServiceRuntime, table: Any) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize(("name", "handle", "rows", "outbox"), CASES)
def test_same_event_twice_makes_one_row_and_one_outgoing_event(
    name: str,
    handle: Callable[..., Any],
    rows: Any,
    outbox: Any,
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service(name)
    event = sample_order_accepted()
    first = handle(event, runtime.uow_factory())
    again = handle(event, runtime.uow_factory())
    assert again == first
    assert count(runtime, rows) == 1
    assert count(runtime, outbox) == 1
    # A different order is a different row: the dedupe key is the order id, nothing broader.
    handle(sample_order_accepted(), runtime.uow_factory())
    assert count(runtime, rows) == 2
    assert count(runtime, outbox) == 2


@pytest.mark.parametrize(("name", "handle", "rows", "outbox"), CASES)
def test_lost_race_on_the_unique_order_id_returns_the_winner(
    name: str,
    handle: Callable[..., Any],
    rows: Any,
    outbox: Any,
    service: Callable[[str], ServiceRuntime],
) -> None:
    """Two consumers both see 'no row yet'; the second commit hits the unique constraint."""
    runtime = service(name)
    event = sample_order_accepted()
    winner = handle(event, runtime.uow_factory())

    attr = "deliveries" if name == "shipping" else "invoices"
    uow = runtime.uow_factory()
    original_open = uow._open
    looked = []

    def blind_open(session: Any) -> None:
        original_open(session)
        repository = getattr(uow, attr)
        real = repository.get_by_order_id

        def first_miss(order_id: uuid.UUID) -> Any:
            looked.append(order_id)
            return None if len(looked) == 1 else real(order_id)

        repository.get_by_order_id = first_miss

    uow._open = blind_open  # type: ignore[method-assign]
    loser = handle(event, uow)
    assert len(looked) == 2, "the handler should re-read after the conflict"
    assert loser == winner
    assert count(runtime, rows) == 1
    assert count(runtime, outbox) == 1


@pytest.mark.parametrize(("name", "handle", "rows", "outbox"), CASES)
def test_wrong_shape_writes_nothing(
    name: str,
    handle: Callable[..., Any],
    rows: Any,
    outbox: Any,
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service(name)
    with pytest.raises(UnprocessableEvent):
        handle(sample_order_accepted(lines=[]), runtime.uow_factory())
    assert count(runtime, rows) == 0
    assert count(runtime, outbox) == 0


def test_invoice_for_lines_that_do_not_add_up_is_unprocessable(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("invoicing")
    with pytest.raises(UnprocessableEvent, match=r"lines sum to 400\.28"):
        invoicing.handle_order_accepted(sample_order_accepted(total="1.00"), runtime.uow_factory())
    assert count(runtime, invoicing_orm.invoices) == 0


def test_handler_results_are_readable_through_the_service_layer(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("shipping")
    event = sample_order_accepted()
    delivery = shipping.handle_order_accepted(event, runtime.uow_factory())
    order_id = uuid.UUID(event["data"]["orderId"])
    assert shipping.get_delivery(delivery.delivery_id, runtime.uow_factory()) == delivery
    page, total = shipping.list_deliveries(0, 10, runtime.uow_factory(), order_id)
    assert (page, total) == ([delivery], 1)
    assert shipping.list_deliveries(0, 10, runtime.uow_factory(), uuid.uuid4()) == ([], 0)
