"""accord: prove that an event-driven system keeps its promises.

Every event matches its schema, every consumer's contract holds, and every accepted order
produces its invoice and its delivery within the agreed time.
"""

from __future__ import annotations

from accord.clock import Clock, ManualClock, SystemClock
from accord.errors import AccordError, BrokerError, UsageError, ViolationError
from accord.events import Location, from_kafka, make_event, to_kafka

__all__ = [
    "AccordError",
    "BrokerError",
    "Clock",
    "Location",
    "ManualClock",
    "SystemClock",
    "UsageError",
    "ViolationError",
    "from_kafka",
    "make_event",
    "to_kafka",
]
