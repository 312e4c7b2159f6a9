"""Reading incoming event payloads defensively: every failure is an
:class:`~reference_services.common.errors.UnprocessableEvent` naming the JSON pointer."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from reference_services.common.errors import UnprocessableEvent
from reference_services.common.money import parse_money
from reference_services.common.text import clean_text

__all__ = [
    "ZIP_PATTERN",
    "OrderLineIn",
    "address_json",
    "event_data",
    "get_address",
    "get_count",
    "get_list",
    "get_money",
    "get_object",
    "get_text",
    "get_time",
    "get_uuid",
    "order_lines",
]

ZIP_PATTERN = re.compile(r"^[0-9A-Za-z -]{3,10}$")
_MAX_COUNT = 1_000_000


def event_data(event: Any, expected_type: str) -> dict[str, Any]:
    """The ``data`` object of a structured CloudEvent of ``expected_type``."""
    if not isinstance(event, dict):
        raise UnprocessableEvent(f"event must be an object, got {type(event).__name__}")
    if event.get("type") != expected_type:
        raise UnprocessableEvent(f"expected type {expected_type!r}, got {event.get('type')!r}")
    return get_object(event, "data", "")


def _get(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise UnprocessableEvent(f"{where}/{key}: missing")
    return obj[key]


def get_object(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = _get(obj, key, where)
    if not isinstance(value, dict):
        raise UnprocessableEvent(f"{where}/{key}: must be an object")
    return value


def get_list(obj: dict[str, Any], key: str, where: str, *, min_items: int = 1) -> list[Any]:
    value = _get(obj, key, where)
    if not isinstance(value, list) or len(value) < min_items:
        raise UnprocessableEvent(f"{where}/{key}: must be an array of at least {min_items}")
    return value


def get_text(obj: dict[str, Any], key: str, where: str) -> str:
    value = _get(obj, key, where)
    if not isinstance(value, str) or not value:
        raise UnprocessableEvent(f"{where}/{key}: must be a non-empty string")
    try:
        return clean_text(value, field=f"{where}/{key}")
    except ValueError as exc:
        raise UnprocessableEvent(str(exc)) from None


def get_uuid(obj: dict[str, Any], key: str, where: str) -> uuid.UUID:
    value = get_text(obj, key, where)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise UnprocessableEvent(f"{where}/{key}: not a UUID: {value!r}") from None


def get_count(obj: dict[str, Any], key: str, where: str) -> int:
    value = _get(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_COUNT:
        raise UnprocessableEvent(f"{where}/{key}: must be an integer from 1 to {_MAX_COUNT}")
    return value


def get_money(obj: dict[str, Any], key: str, where: str) -> Decimal:
    try:
        return parse_money(_get(obj, key, where))
    except ValueError as exc:
        raise UnprocessableEvent(f"{where}/{key}: {exc}") from None


def get_time(obj: dict[str, Any], key: str, where: str) -> datetime:
    value = get_text(obj, key, where)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UnprocessableEvent(f"{where}/{key}: not an RFC 3339 time: {value!r}") from None
    if moment.tzinfo is None:
        raise UnprocessableEvent(f"{where}/{key}: time has no offset: {value!r}")
    return moment


def get_address(obj: dict[str, Any], key: str, where: str) -> tuple[str, str, str]:
    """``(street, zip, city)`` of an address object."""
    address = get_object(obj, key, where)
    here = f"{where}/{key}"
    zip_code = get_text(address, "zip", here)
    if not ZIP_PATTERN.fullmatch(zip_code):
        raise UnprocessableEvent(f"{here}/zip: not a zip code: {zip_code!r}")
    return get_text(address, "street", here), zip_code, get_text(address, "city", here)


def address_json(address: Any) -> dict[str, str]:
    """``{"street", "zip", "city"}`` of any service's address value object."""
    return {"street": address.street, "zip": address.zip, "city": address.city}


@dataclass(frozen=True, slots=True)
class OrderLineIn:
    """One line of an incoming ``order.accepted``: count, item id and name, and where the item
    object is (``/lines/<i>/item``) for reading further fields such as the price."""

    count: int
    item_id: str
    name: str
    item: dict[str, Any]
    where: str


def order_lines(data: dict[str, Any]) -> list[OrderLineIn]:
    """The ``lines`` of an ``order.accepted`` payload (at least one)."""
    lines = []
    for index, raw in enumerate(get_list(data, "lines", "")):
        where = f"/lines/{index}"
        if not isinstance(raw, dict):
            raise UnprocessableEvent(f"{where}: must be an object")
        item = get_object(raw, "item", where)
        here = f"{where}/item"
        lines.append(
            OrderLineIn(
                get_count(raw, "count", where),
                get_text(item, "itemId", here),
                get_text(item, "name", here),
                item,
                here,
            )
        )
    return lines
