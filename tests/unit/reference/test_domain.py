"""Domain rules of the three services (pure dataclasses, exact decimals)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reference_services.common.money import format_money, parse_money
from reference_services.invoicing import domain as invoicing
from reference_services.order import domain as order
from reference_services.shipping import domain as shipping

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ADA = order.Customer("c-1", "Ada", "ada@example.com")
HOME = order.Address("Main 1", "10115", "Berlin")
CENT_ITEM = order.Item("i-9", "Sticker", Decimal("0.10"))
IPOD = order.Item("i-1", "iPod", Decimal("199.99"))


def accept(lines: list[order.OrderLine], at: datetime = NOW) -> order.Order:
    return order.accept_order(uuid.uuid4(), ADA, HOME, HOME, lines, at)


def test_order_total_is_exact_decimal() -> None:
    # 0.10 * 3 is 0.30000000000000004 in binary floating point; Decimal keeps it exact.
    accepted = accept([order.OrderLine(3, CENT_ITEM), order.OrderLine(2, IPOD)])
    assert accepted.total == Decimal("400.28")
    assert format_money(accepted.total) == "400.28"


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([order.OrderLine(0, IPOD)], "lines.0.count"),
        ([order.OrderLine(1, IPOD), order.OrderLine(order.MAX_COUNT + 1, IPOD)], "lines.1.count"),
        ([order.OrderLine(1, order.Item("x", "x", Decimal("-1")))], "lines.0.itemId"),
        ([order.OrderLine(1, IPOD)] * (order.MAX_LINES + 1), "lines"),
    ],
)
def test_order_rules_name_the_field(lines: list[order.OrderLine], field: str) -> None:
    with pytest.raises(order.InvalidOrder) as caught:
        accept(lines)
    assert caught.value.field == field


def test_order_needs_an_aware_time() -> None:
    with pytest.raises(order.InvalidOrder, match="acceptedAt"):
        accept([order.OrderLine(1, IPOD)], at=datetime(2026, 1, 1))


def test_unknown_catalogue_entries_name_field_and_id() -> None:
    assert str(order.UnknownCustomer("c-404")) == "customerId: unknown customer 'c-404'"
    assert order.UnknownItem(2, "i-404").field == "lines.2.itemId"


def test_delivery_merges_lines_of_the_same_item_and_has_no_prices() -> None:
    to_ship = shipping.OrderToShip(
        uuid.uuid4(),
        "Ada",
        shipping.Address("Main 1", "10115", "Berlin"),
        (
            shipping.DeliveryLine(1, "i-1", "iPod"),
            shipping.DeliveryLine(2, "i-2", "Nano"),
            shipping.DeliveryLine(3, "i-1", "iPod"),
        ),
    )
    delivery = shipping.create_delivery(to_ship, uuid.uuid4(), NOW)
    assert delivery.lines == (
        shipping.DeliveryLine(4, "i-1", "iPod"),
        shipping.DeliveryLine(2, "i-2", "Nano"),
    )
    assert delivery.pieces == 6
    assert delivery.order_id == to_ship.order_id


def test_delivery_without_lines_is_refused() -> None:
    to_ship = shipping.OrderToShip(uuid.uuid4(), "Ada", shipping.Address("a", "123", "b"), ())
    with pytest.raises(shipping.InvalidDelivery, match="no lines"):
        shipping.create_delivery(to_ship, uuid.uuid4(), NOW)


def _to_invoice(stated_total: str) -> invoicing.OrderToInvoice:
    return invoicing.OrderToInvoice(
        uuid.uuid4(),
        invoicing.Customer("c-1", "Ada", "ada@example.com"),
        invoicing.Address("Billing 2", "20095", "Hamburg"),
        (
            invoicing.InvoiceLine(3, "i-9", "Sticker", Decimal("0.10")),
            invoicing.InvoiceLine(2, "i-1", "iPod", Decimal("199.99")),
        ),
        Decimal(stated_total),
    )


def test_invoice_total_is_exact_and_in_euro() -> None:
    invoice = invoicing.create_invoice(_to_invoice("400.28"), uuid.uuid4(), NOW)
    assert invoice.total == Decimal("400.28")
    assert [line.amount for line in invoice.lines] == [Decimal("0.30"), Decimal("399.98")]
    assert invoice.currency == "EUR"


def test_invoice_refuses_an_order_whose_lines_do_not_add_up() -> None:
    with pytest.raises(invoicing.InvalidInvoice, match=r"sum to 400\.28.*total of 400\.27"):
        invoicing.create_invoice(_to_invoice("400.27"), uuid.uuid4(), NOW)


@pytest.mark.parametrize(
    "text", ["1.234", "1.5", "abc", "NaN", "Infinity", "1e3", " 1.00", "1.00\n"]
)
def test_parse_money_refuses_what_is_not_a_cent_amount(text: str) -> None:
    with pytest.raises(ValueError, match="money"):
        parse_money(text)


def test_money_round_trips_without_scientific_notation() -> None:
    assert format_money(parse_money("1000000.00")) == "1000000.00"
    assert format_money(Decimal("0")) == "0.00"
    with pytest.raises(ValueError):
        parse_money(12)
