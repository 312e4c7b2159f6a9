"""The reference system on the real broker and PostgreSQL: one delivery and one invoice per
order, events valid against contracts/schemas v1 with CloudEvents headers; redelivery creates
nothing new; garbage goes to ``<topic>.dlq``; the outbox survives a relay crash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from sqlalchemy import func, select

from accord.events import from_kafka

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"
ORDER = {
    "customerId": "c-2",
    "shippingAddress": {"street": "Main 1", "zip": "10115", "city": "Berlin"},
    "billingAddress": {"street": "Billing 2", "zip": "20095", "city": "Hamburg"},
    "lines": [{"count": 3, "itemId": "i-5"}, {"count": 1, "itemId": "i-1"}],
}


def validate(event_type: str, data: Any) -> None:
    schema = json.loads((SCHEMAS / event_type / "v1.json").read_text())
    jsonschema.validate(data, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def post_order(system: Any) -> str:
    response = requests.post(f"{system.urls['order']}/orders", json=ORDER, timeout=10)
    assert response.status_code == 201, response.text
    return str(response.json()["orderId"])


def keyed(records: Sequence[Any], key: str) -> list[Any]:
    return [r for r in records if r.key == key.encode()]


def one_each(system: Any, order_id: str, eventually: Any) -> tuple[dict[str, Any], ...]:
    def check() -> tuple[dict[str, Any], ...]:
        deliveries = requests.get(
            f"{system.urls['shipping']}/deliveries", params={"orderId": order_id}, timeout=5
        ).json()
        invoices = requests.get(
            f"{system.urls['invoicing']}/invoices", params={"orderId": order_id}, timeout=5
        ).json()
        assert (deliveries["total"], invoices["total"]) == (1, 1)
        return deliveries["items"][0], invoices["items"][0]

    result: tuple[dict[str, Any], ...] = eventually(check)
    return result


def outbox_rows(runtime: Any, table: Any, order_id: str) -> int:
    query = select(func.count()).select_from(table).where(table.c.event.contains(order_id))
    with runtime.engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def test_an_order_yields_one_delivery_and_one_invoice_with_valid_events(
    system: Any, read_topic: Any, eventually: Any
) -> None:
    order_id = post_order(system)
    delivery, invoice = one_each(system, order_id, eventually)
    assert invoice["total"] == "202.96"  # 3 x 0.99 + 199.99, exact
    assert [line["amount"] for line in invoice["lines"]] == ["2.97", "199.99"]
    assert delivery["customerName"] == "Alan Turing"
    for topic, event_type, source in [
        (system.topics.order, "order.accepted", "/reference/order"),
        (system.topics.delivery, "delivery.created", "/reference/shipping"),
        (system.topics.invoice, "invoice.created", "/reference/invoicing"),
    ]:

        def exactly_one(topic: str = topic) -> list[Any]:
            records = keyed(read_topic(system.bootstrap_servers, topic), order_id)
            assert len(records) == 1, f"{topic}: {len(records)} records for {order_id}"
            return records

        [record] = eventually(exactly_one)
        headers = dict(record.headers)
        assert headers["ce_type"] == event_type.encode()
        assert headers["ce_source"] == source.encode()
        assert headers["ce_partitionkey"] == order_id.encode()
        assert headers["ce_specversion"] == b"1.0"
        assert headers["content-type"] == b"application/json"
        assert {"ce_id", "ce_time", "ce_dataschema"} <= set(headers)
        event = from_kafka(record.key, record.value, record.headers)
        validate(event_type, event["data"])
        assert event["data"]["orderId"] == order_id


def test_a_redelivered_order_event_creates_no_second_invoice_or_event(
    system: Any, read_topic: Any, eventually: Any
) -> None:
    from kafka import KafkaProducer

    from reference_services.invoicing.adapters import orm as invoicing_orm
    from reference_services.shipping.adapters import orm as shipping_orm

    order_id = post_order(system)
    one_each(system, order_id, eventually)
    [original] = keyed(read_topic(system.bootstrap_servers, system.topics.order), order_id)
    invoicing = system.runtimes["invoicing"]
    shipping = system.runtimes["shipping"]
    handled_before = (invoicing.consumer.handled, shipping.consumer.handled)

    producer = KafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all")
    try:
        producer.send(
            system.topics.order, key=original.key, value=original.value, headers=original.headers
        ).get(timeout=10)
    finally:
        producer.close()

    def both_handled_it() -> None:
        assert invoicing.consumer.handled == handled_before[0] + 1
        assert shipping.consumer.handled == handled_before[1] + 1

    eventually(both_handled_it)
    assert len(keyed(read_topic(system.bootstrap_servers, system.topics.order), order_id)) == 2
    one_each(system, order_id, eventually)  # still exactly one of each
    assert outbox_rows(invoicing, invoicing_orm.outbox, order_id) == 1
    assert outbox_rows(shipping, shipping_orm.outbox, order_id) == 1
    for topic in (system.topics.invoice, system.topics.delivery):
        assert len(keyed(read_topic(system.bootstrap_servers, topic), order_id)) == 1


def test_garbage_goes_to_the_dlq_with_the_error_and_consumers_go_on(
    system: Any, read_topic: Any, eventually: Any
) -> None:
    import uuid

    from kafka import KafkaProducer

    from reference_services.common.consumer import ERROR_HEADER, ORIGIN_HEADER

    key = f"garbage-{uuid.uuid4()}"
    producer = KafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all")
    try:
        producer.send(
            system.topics.order,
            key=key.encode(),
            value=b"\x00not json",
            headers=[("ce_type", b"order.accepted"), ("x-trace", b"t-1")],
        ).get(timeout=10)
    finally:
        producer.close()

    dlq = system.topics.order + ".dlq"

    def both_dead_lettered() -> list[Any]:
        records = keyed(read_topic(system.bootstrap_servers, dlq), key)
        assert len(records) == 2, "one copy from shipping, one from invoicing"
        return records

    for record in eventually(both_dead_lettered):
        headers = dict(record.headers)
        assert record.value == b"\x00not json"
        assert headers["x-trace"] == b"t-1"
        assert headers["ce_type"] == b"order.accepted"
        assert b"value is not JSON" in headers[ERROR_HEADER]
        assert headers[ORIGIN_HEADER].startswith(system.topics.order.encode() + b"/")
    # Both consumers went on past the poison record.
    one_each(system, post_order(system), eventually)


def test_relay_crash_before_the_ack_loses_nothing_and_consumers_dedupe(
    system: Any, read_topic: Any, eventually: Any, pg_database: Any
) -> None:
    """Commit an order, 'crash' the relay after handing the record to the producer but before
    the ack, restart the order service on the same database: the record is published again
    (at least once, same CloudEvent id) and shipping/invoicing still make one of each."""
    from reference_services.bootstrap import bootstrap
    from reference_services.order.domain import Address
    from reference_services.order.service_layer.handlers import PlaceOrder, place_order

    class Crash(Exception):
        pass

    def crash(records: Any) -> None:
        raise Crash

    # Its own database, so that the running order service's relay cannot publish the row.
    settings = {
        "database_url": pg_database(),
        "bootstrap_servers": system.bootstrap_servers,
        "topics": system.topics,
    }
    first = bootstrap("order", **settings)  # not started: we drive its relay by hand
    try:
        home = Address("Main 1", "10115", "Berlin")
        order = place_order(
            PlaceOrder("c-4", home, home, [(2, "i-2")]),
            first.uow_factory(),
            now=lambda: datetime.now(UTC),
        )
        order_id = str(order.order_id)
        with pytest.raises(Crash):
            first.relay.publish_pending(before_ack=crash)
        assert order_id in [r.event["partitionkey"] for r in first.relay.pending()]
    finally:
        first.stop()  # closing the producer flushes the unacknowledged send

    restarted = bootstrap("order", **settings)
    try:
        def published() -> None:
            restarted.relay.publish_pending()
            assert order_id not in [r.event["partitionkey"] for r in restarted.relay.pending()]

        eventually(published)
        copies = keyed(read_topic(system.bootstrap_servers, system.topics.order), order_id)
        assert restarted.relay.pending() == []
    finally:
        restarted.stop()

    assert 1 <= len(copies) <= 2
    assert len({dict(r.headers)["ce_id"] for r in copies}) == 1
    print(f"order {order_id} was published {len(copies)} time(s)")
    _delivery, invoice = one_each(system, order_id, eventually)
    assert invoice["total"] == "298.00"
