"""CloudEvents of the invoicing service: ``order.accepted`` in, ``invoice.created`` out."""

from __future__ import annotations

from typing import Any

from accord.events import KafkaMessage, rfc3339, to_kafka
from reference_services.common.events import dataschema, reference_event, source
from reference_services.common.money import format_money
from reference_services.common.wire import (
    address_json,
    event_data,
    get_address,
    get_money,
    get_object,
    get_text,
    get_uuid,
    order_lines,
)
from reference_services.invoicing.domain import (
    CURRENCY,
    Address,
    Customer,
    Invoice,
    InvoiceLine,
    OrderToInvoice,
)

__all__ = [
    "DATASCHEMA",
    "EVENT_TYPE",
    "SOURCE",
    "TOPIC",
    "invoice_created_event",
    "invoice_created_message",
    "invoice_data",
    "parse_order_accepted",
]

EVENT_TYPE = "invoice.created"
SERVICE = "invoicing"
SOURCE = source(SERVICE)
TOPIC = "invoice"
DATASCHEMA = dataschema(EVENT_TYPE)


def parse_order_accepted(event: dict[str, Any]) -> OrderToInvoice:
    """Read what invoicing needs from an ``order.accepted`` CloudEvent, v1 or v2 (tolerant
    reader: the shipping address is ignored; ``currency``, new in v2, defaults to EUR).

    Raises:
        UnprocessableEvent: naming the JSON pointer of the first missing or bad field.
    """
    data = event_data(event, "order.accepted")
    customer = get_object(data, "customer", "")
    return OrderToInvoice(
        order_id=get_uuid(data, "orderId", ""),
        customer=Customer(
            get_text(customer, "customerId", "/customer"),
            get_text(customer, "name", "/customer"),
            get_text(customer, "email", "/customer"),
        ),
        billing_address=Address(*get_address(data, "billingAddress", "")),
        lines=tuple(
            InvoiceLine(
                line.count,
                line.item_id,
                line.name,
                get_money(line.item, "price", line.where),
            )
            for line in order_lines(data)
        ),
        stated_total=get_money(data, "total", ""),
        currency=get_text(data, "currency", "") if "currency" in data else CURRENCY,
    )


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """The JSON of an invoice, as ``invoice.created`` v1 and ``GET /invoices`` show it."""
    address, customer = invoice.billing_address, invoice.customer
    return {
        "invoiceId": str(invoice.invoice_id),
        "orderId": str(invoice.order_id),
        "customer": {
            "customerId": customer.customer_id,
            "name": customer.name,
            "email": customer.email,
        },
        "billingAddress": address_json(address),
        "lines": [
            {
                "count": line.count,
                "itemId": line.item_id,
                "name": line.name,
                "unitPrice": format_money(line.unit_price),
                "amount": format_money(line.amount),
            }
            for line in invoice.lines
        ],
        "total": format_money(invoice.total),
        "currency": invoice.currency,
        "createdAt": rfc3339(invoice.created_at),
    }


def invoice_created_event(invoice: Invoice) -> dict[str, Any]:
    """The structured CloudEvent ``invoice.created`` (key = order id, id stable per order)."""
    return reference_event(
        EVENT_TYPE,
        SERVICE,
        invoice_data(invoice),
        order_id=invoice.order_id,
        time=invoice.created_at,
    )


def invoice_created_message(invoice: Invoice) -> KafkaMessage:
    """The Kafka record the relay publishes to topic ``invoice``."""
    return to_kafka(invoice_created_event(invoice))
