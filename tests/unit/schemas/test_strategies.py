"""The Hypothesis strategies generate events that accord's own validation accepts."""

from __future__ import annotations

from typing import Any

import pytest

from accord.events import from_kafka
from accord.schemas import SchemaRegistry

hypothesis = pytest.importorskip("hypothesis", reason="the strategies need the test extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from accord.schemas import strategies  # noqa: E402
from accord.schemas._samples import sample_event  # noqa: E402

pytestmark = pytest.mark.unit

_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
_REGISTRY = SchemaRegistry.from_directory(
    __import__("pathlib").Path(__file__).resolve().parents[3] / "contracts"
)


@pytest.mark.parametrize("event_type", _REGISTRY.types)
def test_generated_events_are_valid(event_type: str) -> None:
    @_SETTINGS
    @given(strategies.events(_REGISTRY, event_type))
    def check(event: dict[str, Any]) -> None:
        assert event["type"] == event_type
        assert _REGISTRY.validate(event, key=event["partitionkey"]) == []
        assert event["partitionkey"] == event["data"]["orderId"]
        assert event["time"] == event["data"].get("acceptedAt", event["data"].get("createdAt"))

    check()


@_SETTINGS
@given(strategies.kafka_records(_REGISTRY))
def test_generated_records_decode_to_valid_events(record: Any) -> None:
    event = from_kafka(record.key, record.value, record.headers)
    assert _REGISTRY.validate(event, key=record.key.decode()) == []


@_SETTINGS
@given(strategies.data(_REGISTRY, "order.accepted"))
def test_formats_are_generated_not_ignored(data: dict[str, Any]) -> None:
    import uuid

    assert str(uuid.UUID(data["orderId"])) == data["orderId"].lower()
    assert "@" in data["customer"]["email"]


def test_version_needs_a_type() -> None:
    with pytest.raises(ValueError, match="version needs an event_type"):
        strategies.events(_REGISTRY, None, 1)


# A mutation fuzzer for the validator itself: whatever we do to a valid event, the fast
# boolean, the detailed list and the detailed rules alone must agree.
_JSON = hypothesis.strategies.recursive(
    hypothesis.strategies.none() | hypothesis.strategies.booleans()
    | hypothesis.strategies.integers() | hypothesis.strategies.floats(allow_nan=False)
    | hypothesis.strategies.text(max_size=5),
    lambda inner: hypothesis.strategies.lists(inner, max_size=3)
    | hypothesis.strategies.dictionaries(hypothesis.strategies.text(max_size=5), inner,
                                         max_size=3),
    max_leaves=5,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(hypothesis.strategies.data())
def test_is_valid_and_validate_agree_on_mutated_events(draw: Any) -> None:
    event = sample_event(draw.draw(hypothesis.strategies.sampled_from(_REGISTRY.types)))
    path = draw.draw(hypothesis.strategies.sampled_from(_paths(event)[1:]))
    parent = event
    for token in path[:-1]:
        parent = parent[token]
    if draw.draw(hypothesis.strategies.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw.draw(_JSON)
    violations = _REGISTRY.validate(event)
    assert _REGISTRY.is_valid(event) is (violations == [])
    # The fast path may only accept what the detailed rules (the reference) accept.
    assert violations == _REGISTRY._explain(event, None, None)
    for violation in violations:
        assert violation.pointer.startswith("/") and violation.message
