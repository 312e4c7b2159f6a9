"""JSON pointers (RFC 6901), compiled once and resolved on every event."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from msgspec import UNSET

from accord.errors import UsageError

__all__ = ["ABSENT", "compile_pointer", "compile_resolver", "json_equal", "resolve"]


class _Absent:
    """What a pointer resolves to when the event has nothing there."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


#: The value of a pointer that leads nowhere (distinct from JSON ``null``).
ABSENT: Any = _Absent()


def compile_pointer(pointer: str) -> tuple[str, ...]:
    """Split a JSON pointer such as ``/data/orderId`` into its unescaped reference tokens.

    Raises:
        UsageError: when ``pointer`` is neither empty nor starts with ``/``.
    """
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise UsageError(
            f"{pointer!r} is not a JSON pointer: start it with '/', e.g. /data/orderId"
        )
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def resolve(document: Any, tokens: tuple[str, ...]) -> Any:
    """The value at ``tokens`` in ``document``, or :data:`ABSENT`.

    ``document`` is a parsed JSON value, or an :class:`accord.events.Envelope` decoded by
    :func:`accord.events.envelope_type` for these tokens (its structs map member names to
    attributes in ``_members``; an absent member is ``msgspec.UNSET``).
    """
    value = document
    for token in tokens:
        if type(value) is dict:
            value = value.get(token, ABSENT)
            if value is ABSENT:
                return ABSENT
        elif type(value) is list:
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                return ABSENT
            index = int(token)
            if index >= len(value):
                return ABSENT
            value = value[index]
        else:
            members = getattr(value, "_members", None)
            if members is None:
                return ABSENT
            attr = members.get(token)
            if attr is None:
                return ABSENT
            value = getattr(value, attr)
            if value is UNSET:
                return ABSENT
    return value


def compile_resolver(
    tokens: tuple[str, ...], envelope: type[Any] | None = None
) -> Callable[[Any], Any]:
    """``resolve(event, tokens)`` as a function of the event, for many events alike.

    Args:
        tokens: a compiled pointer.
        envelope: the events are instances of this :func:`accord.events.envelope_type`,
            made for a set of pointers that includes ``tokens``; ``None``: parsed JSON.
            The struct part of the path is one C call (``attrgetter``).
    """
    if envelope is None:
        return partial(resolve, tokens=tokens)
    attrs = []
    struct: Any = envelope
    i = 0
    while i < len(tokens) and struct is not None:
        attrs.append(struct._members[tokens[i]])  # KeyError: not made for these tokens
        struct = struct._structs.get(tokens[i])
        i += 1
    getter = attrgetter(".".join(attrs))
    rest = tokens[i:]

    def get(event: Any) -> Any:
        try:
            value = getter(event)
        except AttributeError:  # a value on the way that is not an object
            return ABSENT
        if value is UNSET:
            return ABSENT
        return resolve(value, rest) if rest else value

    return get


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: like ``==``, but ``true`` is not ``1`` and ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(json_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)
