"""Validation of whole CloudEvents: envelope rules, formats, and detailed error pointers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accord.errors import ViolationError
from accord.events import Location
from accord.schemas import SchemaRegistry, SchemaViolation, SchemaViolationError

pytestmark = pytest.mark.unit


def only(registry: SchemaRegistry, event: Any, key: str | None = None) -> tuple[str, str, str]:
    """The single violation of an event as (pointer, keyword, message)."""
    violations = registry.validate(event, key)
    assert len(violations) == 1, violations
    assert registry.is_valid(event, key) is False
    v = violations[0]
    return v.pointer, v.keyword, v.message


def test_reference_events_are_valid(
    registry: SchemaRegistry, order_event: dict[str, Any], delivery_event: dict[str, Any],
    invoice_event: dict[str, Any],
) -> None:
    for event in (order_event, delivery_event, invoice_event):
        assert registry.validate(event) == []
        assert registry.validate(event, key=event["partitionkey"]) == []
        assert registry.is_valid(event)
        registry.check(event)


# ------------------------------------------------------------------ envelope


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("specversion", None, ("/specversion", "required",
                               'required attribute missing (expected "1.0")')),
        ("specversion", "0.3", ("/specversion", "const", 'expected "1.0", got "0.3"')),
        ("id", None, ("/id", "required", "required attribute missing")),
        ("id", "", ("/id", "type", 'expected a non-empty string, got ""')),
        ("id", 17, ("/id", "type", "expected a non-empty string, got 17")),
        ("source", None, ("/source", "required", "required attribute missing")),
        ("source", "not a uri ref", ("/source", "format",
                                     'expected a URI reference, got "not a uri ref"')),
        ("time", None, ("/time", "required",
                        "required attribute missing (an RFC 3339 date-time)")),
        ("time", "2026-01-01 10:00:00", ("/time", "format",
                                         'expected an RFC 3339 date-time, got '
                                         '"2026-01-01 10:00:00"')),
        ("time", "2026-01-01T10:00:00", ("/time", "format",
                                         'expected an RFC 3339 date-time, got '
                                         '"2026-01-01T10:00:00"')),
        ("datacontenttype", "text/plain", ("/datacontenttype", "const",
                                           'expected "application/json", got "text/plain"')),
        ("dataschema", "urn:accord:schemas:order.accepted:v9", (
            "/dataschema", "dataschema",
            "expected urn:accord:schemas:order.accepted:v2 or another known version of "
            'order.accepted (v1, v2), got "urn:accord:schemas:order.accepted:v9"')),
        ("dataschema", "urn:accord:schemas:invoice.created:v1", (
            "/dataschema", "dataschema",
            "expected urn:accord:schemas:order.accepted:v2 or another known version of "
            'order.accepted (v1, v2), got "urn:accord:schemas:invoice.created:v1"')),
        ("data", None, ("/data", "required", "required: order.accepted events carry data")),
    ],
)
def test_envelope_rules(
    registry: SchemaRegistry, order_event: dict[str, Any], attribute: str, value: Any,
    expected: tuple[str, str, str],
) -> None:
    if value is None:
        del order_event[attribute]
    else:
        order_event[attribute] = value
    assert only(registry, order_event) == expected


def test_type_missing_or_unknown(registry: SchemaRegistry, order_event: dict[str, Any]) -> None:
    order_event["type"] = "order.cancelled"
    assert only(registry, order_event) == (
        "/type", "enum",
        'unknown event type "order.cancelled" (known: delivery.created, invoice.created, '
        "order.accepted)",
    )
    del order_event["type"]
    assert only(registry, order_event) == ("/type", "required", "required attribute missing")


def test_optional_attributes_may_be_absent(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    for name in ("datacontenttype", "dataschema", "partitionkey"):
        event = dict(order_event)
        del event[name]
        assert registry.validate(event) == [], name


def test_json_content_type_with_parameters_is_json(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["datacontenttype"] = "application/json; charset=utf-8"
    assert registry.is_valid(order_event)
    assert registry.validate(order_event) == []


def test_time_with_offset_and_fraction_is_rfc3339(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["time"] = "2026-03-01T10:00:00.5+02:00"
    assert registry.validate(order_event) == []


def test_partitionkey_must_equal_the_record_key(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    key = order_event["partitionkey"]
    assert registry.validate(order_event, key=key) == []
    assert only(registry, order_event, key="another-key") == (
        "/partitionkey", "partitionkey", f'expected the record key "another-key", got "{key}"'
    )
    del order_event["partitionkey"]
    assert only(registry, order_event, key="k1") == (
        "/partitionkey", "partitionkey", 'expected the record key "k1", got no partitionkey'
    )
    # Without a known key there is nothing to compare.
    assert registry.validate(order_event) == []


def test_not_an_object(registry: SchemaRegistry) -> None:
    for value in ([1, 2], "text", None, 3):
        violations = registry.validate(value, where="f.jsonl:1")
        assert [(v.pointer, v.keyword) for v in violations] == [("", "type")]
        assert str(violations[0]).startswith("f.jsonl:1: ? ?: /: expected a CloudEvent")
        assert not registry.is_valid(value)


def test_unhashable_attributes_do_not_crash(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["type"] = ["order.accepted"]
    order_event["dataschema"] = {"x": 1}
    assert not registry.is_valid(order_event)
    assert {v.pointer for v in registry.validate(order_event)} == {"/type"}


def test_python_values_json_has_no_type_for(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    import datetime

    order_event["time"] = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert only(registry, order_event)[:2] == ("/time", "format")
    order_event["time"] = "2026-01-01T00:00:00Z"
    order_event["data"]["acceptedAt"] = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    pointer, keyword, message = only(registry, order_event)
    assert (pointer, keyword) == ("/data", "type")
    assert message.startswith("not JSON data (")


def test_several_envelope_problems_are_all_reported(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["specversion"] = "2.0"
    order_event["time"] = "yesterday"
    del order_event["source"]
    pointers = [v.pointer for v in registry.validate(order_event)]
    assert pointers == ["/specversion", "/source", "/time"]


# ---------------------------------------------------------------------- data


def test_price_as_a_number_points_into_the_lines(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["data"]["lines"][0]["item"]["price"] = 12.5
    violations = registry.validate(order_event, where=Location("orders.jsonl", line=7))
    assert violations == [
        SchemaViolation(
            where="orders.jsonl:7",
            event_type="order.accepted",
            event_id=order_event["id"],
            pointer="/data/lines/0/item/price",
            keyword="type",
            message="expected string, got number 12.5",
        )
    ]
    assert str(violations[0]) == (
        f"orders.jsonl:7: order.accepted {order_event['id']}: /data/lines/0/item/price: "
        "expected string, got number 12.5"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("total"), ("/data/total", "required", "required property missing")),
        # partially open: a property the schema does not list must be a string
        (lambda d: d.__setitem__("discount", 1.0),
         ("/data/discount", "type", "expected string, got number 1.0")),
        (lambda d: d["lines"][0].__setitem__("count", 0),
         ("/data/lines/0/count", "minimum", "expected >= 1, got integer 0")),
        (lambda d: d.__setitem__("lines", []),
         ("/data/lines", "minItems", "expected at least 1 item, got 0")),
        (lambda d: d["customer"].__setitem__("name", ""),
         ("/data/customer/name", "minLength", 'expected at least 1 character, got 0: ""')),
        (lambda d: d.__setitem__("total", "12.5"),
         ("/data/total", "pattern",
          'expected a string matching ^-?[0-9]+\\.[0-9]{2}$, got "12.5"')),
        (lambda d: d["shippingAddress"].__setitem__("zip", "!"),
         ("/data/shippingAddress/zip", "pattern",
          'expected a string matching ^[0-9A-Za-z -]{3,10}$, got "!"')),
    ],
)
def test_data_violations_carry_pointer_keyword_and_expected_vs_actual(
    registry: SchemaRegistry, order_event: dict[str, Any], mutate: Any,
    expected: tuple[str, str, str],
) -> None:
    mutate(order_event["data"])
    assert only(registry, order_event) == expected


def test_const_violation_in_invoice(
    registry: SchemaRegistry, invoice_event: dict[str, Any]
) -> None:
    invoice_event["data"]["currency"] = "USD"
    assert only(registry, invoice_event) == (
        "/data/currency", "const", 'expected "EUR", got "USD"'
    )


def test_pointer_escapes_slash_and_tilde(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["data"]["a/b~c"] = 1
    assert only(registry, order_event)[0] == "/data/a~1b~0c"


def test_long_values_are_shortened(registry: SchemaRegistry, order_event: dict[str, Any]) -> None:
    order_event["data"]["orderId"] = "x" * 500
    message = only(registry, order_event)[2]
    assert message.startswith('expected a uuid string, got "xxx')
    assert message.endswith('...') and len(message) < 100


# -------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("path", "value", "valid"),
    [
        (("orderId",), "5b0c4f4e-6f51-4d1b-9b38-0f0c1c3f7a11", True),
        (("orderId",), "5B0C4F4E-6F51-4D1B-9B38-0F0C1C3F7A11", True),
        (("orderId",), "5b0c4f4e6f514d1b9b380f0c1c3f7a11", False),
        (("orderId",), "5b0c4f4e-6f51-4d1b-9b38-0f0c1c3f7a1", False),
        (("orderId",), "order-1", False),
        (("customer", "email"), "ada@example.com", True),
        (("customer", "email"), "ada.lovelace+orders@mail.example.org", True),
        (("customer", "email"), "ada", False),
        (("customer", "email"), "ada @example.com", False),
        (("customer", "email"), "@example.com", False),
        (("acceptedAt",), "2026-01-31T23:59:59Z", True),
        (("acceptedAt",), "2026-01-31T23:59:59.123456+01:00", True),
        (("acceptedAt",), "2026-02-30T10:00:00Z", False),
        (("acceptedAt",), "2026-01-31 10:00:00Z", False),
        (("acceptedAt",), "2026-01-31T10:00:00", False),
        (("acceptedAt",), "2026-01-31", False),
    ],
)
def test_formats_are_asserted(
    registry: SchemaRegistry, order_event: dict[str, Any], path: tuple[str, ...], value: str,
    valid: bool,
) -> None:
    target = order_event["data"]
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    violations = registry.validate(order_event)
    assert registry.is_valid(order_event) is valid
    if valid:
        assert violations == []
    else:
        assert [(v.pointer, v.keyword) for v in violations] == [
            ("/data/" + "/".join(path), "format")
        ]
        expected_format = {"orderId": "uuid", "email": "email", "acceptedAt": "date-time"}
        assert violations[0].message.startswith(f"expected a {expected_format[path[-1]]} string")


# ---------------------------------------------------------------------- check


def test_check_raises_a_violation_error_with_fields(
    registry: SchemaRegistry, order_event: dict[str, Any]
) -> None:
    order_event["data"]["lines"][0]["item"]["price"] = 12.5
    order_event["data"].pop("total")
    with pytest.raises(SchemaViolationError) as info:
        registry.check(order_event, where="order/2@17")
    error = info.value
    assert isinstance(error, ViolationError) and isinstance(error, AssertionError)
    assert (error.event_type, error.event_id, error.where) == (
        "order.accepted", order_event["id"], "order/2@17"
    )
    assert (error.pointer, error.keyword) == ("/data/total", "required")
    assert error.message == "required property missing"
    assert len(error.violations) == 2
    assert str(error) == (
        f"order/2@17: order.accepted {order_event['id']}: /data/total: required property "
        "missing (and 1 more violation(s) in this event)"
    )


def test_check_compares_the_key(registry: SchemaRegistry, order_event: dict[str, Any]) -> None:
    registry.check(order_event, key=order_event["partitionkey"])
    with pytest.raises(SchemaViolationError, match="/partitionkey"):
        registry.check(order_event, key="other")


def test_validate_data_alone(registry: SchemaRegistry, order_event: dict[str, Any]) -> None:
    data = copy.deepcopy(order_event["data"])
    assert registry.validate_data("order.accepted", data) == []
    data["total"] = 3
    assert [v.pointer for v in registry.validate_data("order.accepted", data)] == ["/data/total"]
