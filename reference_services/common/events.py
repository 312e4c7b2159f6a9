"""The CloudEvent conventions of the reference system, in one place."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from accord.events import make_event

__all__ = ["dataschema", "reference_event", "source"]

#: Event ids are UUIDv5 of (type, order id): a re-published event keeps its id.
_NAMESPACE = uuid.UUID("6f1c8a3e-4c4b-4f4e-9a57-2d1b7f0c0a11")


def source(service: str) -> str:
    """``/reference/<service>``."""
    return f"/reference/{service}"


def dataschema(event_type: str, version: int = 1) -> str:
    """``urn:accord:schemas:<type>:v<version>``."""
    return f"urn:accord:schemas:{event_type}:v{version}"


def reference_event(
    event_type: str,
    service: str,
    data: dict[str, Any],
    *,
    order_id: object,
    time: datetime,
    version: int = 1,
) -> dict[str, Any]:
    """A structured CloudEvent keyed by the order id, with a stable id and the dataschema of
    the schema ``version`` the data follows."""
    return make_event(
        event_type,
        source(service),
        data,
        key=str(order_id),
        id=str(uuid.uuid5(_NAMESPACE, f"{event_type}:{order_id}")),
        time=time,
        dataschema=dataschema(event_type, version),
    )
