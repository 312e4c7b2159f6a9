"""Envelopes: decoding only what an audit reads gives what parsing the whole event gives."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.consistency._pointer import ABSENT, compile_resolver, json_equal, resolve
from accord.events import Envelope, envelope_decoder, envelope_type

pytestmark = pytest.mark.unit

# a small alphabet, so that pointers and members meet; digits and "-" index arrays
_TOKENS = ["data", "a", "b", "0", "1", "-"]
_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False,
                                                               allow_infinity=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(_TOKENS), inner, max_size=4),
    max_leaves=12,
)
_pointer = st.tuples(st.sampled_from(["data", "a"])) | st.lists(
    st.sampled_from(_TOKENS), min_size=1, max_size=4
).map(lambda tokens: ("data", *tokens))


def _same(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    return json_equal(a, b) and type(a) is type(b)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["data", "a", "type", "id"]), _json),
       st.lists(_pointer, min_size=1, max_size=4))
def test_a_pointer_resolves_in_an_envelope_as_in_the_whole_event(
    event: dict[str, Any], pointers: list[tuple[str, ...]]
) -> None:
    line = orjson.dumps(event)
    kind = envelope_type(frozenset(pointers))
    assert kind is not None
    envelope = envelope_decoder(kind)(line)
    whole = orjson.loads(line)
    for tokens in pointers:
        expected = resolve(whole, tokens)
        assert _same(resolve(envelope, tokens), expected), tokens
        assert _same(compile_resolver(tokens, kind)(envelope), expected), tokens
        assert _same(compile_resolver(tokens)(whole), expected), tokens
    assert envelope.type == whole.get("type")
    assert envelope.id == whole.get("id")


def test_only_what_a_pointer_reaches_is_decoded() -> None:
    kind = envelope_type(frozenset({("data", "orderId"), ("data", "address")}))
    assert kind is not None and issubclass(kind, Envelope)
    line = b'{"type": "t", "data": {"orderId": "k", "address": {"zip": "1"}, "lines": [1]}}'
    envelope = envelope_decoder(kind)(line)
    assert resolve(envelope, ("data", "orderId")) == "k"
    assert resolve(envelope, ("data", "address")) == {"zip": "1"}, "a pointer's end is whole"
    assert resolve(envelope, ("data", "lines")) is ABSENT, "not asked for: skipped"
    data = msgspec.structs.asdict(envelope)["m0"]
    assert sorted(msgspec.structs.asdict(data).values(), key=str) == ["k", {"zip": "1"}]


def test_absent_and_null_stay_apart() -> None:
    kind = envelope_type(frozenset({("data", "city")}))
    assert kind is not None
    decode = envelope_decoder(kind)
    assert resolve(decode(b'{"data": {"city": null}}'), ("data", "city")) is None
    assert resolve(decode(b'{"data": {}}'), ("data", "city")) is ABSENT
    assert resolve(decode(b'{"data": null}'), ("data", "city")) is ABSENT
    assert resolve(decode(b"{}"), ("data", "city")) is ABSENT


def test_pointers_to_envelope_attributes_need_the_whole_event() -> None:
    assert envelope_type(frozenset()) is Envelope
    assert envelope_type(frozenset({("partitionkey",)})) is None
    assert envelope_type(frozenset({("data", "k"), ("id",)})) is None
    assert envelope_type(frozenset({()})) is None, "the empty pointer is the whole event"
    assert envelope_type(frozenset({("data", "k")})) is envelope_type(frozenset({("data", "k")}))


def test_envelope_get_is_like_dict_get() -> None:
    envelope = envelope_decoder(Envelope)(b'{"type": "t", "id": null, "data": {"x": 1}}')
    assert envelope.get("type") == "t"
    assert envelope.get("id", "none") == "none"
    assert envelope.get("data") is None, "data is not decoded"
