"""Code the three reference services share: database engine, unit-of-work base, outbox and
relay, Kafka consumer loop with dead-letter queue, HTTP helpers, runtime and CLI.

Nothing here knows about orders, deliveries or invoices.
"""

from __future__ import annotations

from reference_services.common.errors import Conflict, UnprocessableEvent
from reference_services.common.money import format_money, parse_money

__all__ = ["Conflict", "UnprocessableEvent", "format_money", "parse_money"]
