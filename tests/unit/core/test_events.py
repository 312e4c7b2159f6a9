from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.events import EventDecodeError, Location, from_kafka, make_event, rfc3339, to_kafka

pytestmark = pytest.mark.unit


def test_make_event_has_accord_conventions() -> None:
    when = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    event = make_event("order.accepted", "/reference/order", {"orderId": "42"}, key="42", time=when)
    assert event["specversion"] == "1.0"
    assert event["time"] == "2026-03-01T10:00:00.250000Z"
    assert event["partitionkey"] == "42"
    assert event["datacontenttype"] == "application/json"
    assert "dataschema" not in event
    assert len(event["id"]) == 36


def test_kafka_round_trip_keeps_every_attribute() -> None:
    event = make_event(
        "invoice.created",
        "/reference/invoicing",
        {"total": "12.30"},
        key="o-1",
        dataschema="urn:accord:schemas:invoice.created:v1",
    )
    message = to_kafka(event)
    assert message.key == b"o-1"
    assert message.value == b'{"total":"12.30"}'
    names = [name for name, _ in message.headers]
    assert names == [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_partitionkey",
        "ce_dataschema",
        "content-type",
    ]
    assert from_kafka(message.key, message.value, message.headers) == event


def test_from_kafka_rejects_records_that_are_not_cloudevents() -> None:
    with pytest.raises(EventDecodeError, match="no ce_ headers"):
        from_kafka(b"k", b"{}", [])
    with pytest.raises(EventDecodeError, match="not JSON"):
        from_kafka(b"k", b"{nope", [("ce_type", b"x"), ("content-type", b"application/json")])
    with pytest.raises(EventDecodeError, match="not UTF-8"):
        from_kafka(b"k", b"{}", [("ce_type", b"\xff")])


def test_from_kafka_takes_the_record_key_when_the_header_is_missing() -> None:
    event = from_kafka(b"7", b"1", [("ce_type", b"x")])
    assert event["partitionkey"] == "7"
    assert event["data"] == 1


def test_to_kafka_needs_a_partition_key() -> None:
    with pytest.raises(EventDecodeError, match="partitionkey"):
        to_kafka({"type": "x", "data": {}})


def test_rfc3339_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        rfc3339(datetime(2026, 1, 1))
    assert rfc3339(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location("events.jsonl", line=3), "events.jsonl:3"),
        (Location("order", partition=2, offset=17), "order/2@17"),
        (Location("stdin"), "stdin"),
    ],
)
def test_location_prints_where_a_person_looks(location: Location, text: str) -> None:
    assert str(location) == text
