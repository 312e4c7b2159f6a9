"""``python -m reference_services SERVICE republish --since WHEN``: publish outbox rows again.

After a broker lost records it had acknowledged (a memory-only broker restarted, a topic
deleted by hand), the outbox rows of those records say *sent* while the topics no longer hold
them. This command marks the rows created in ``[since, until)`` unsent again; the service's
relay then publishes them again in id order (at once if the service runs, else on its next
start), with their stored CloudEvent ids, so consumers that already handled an event
recognise it (one delivery and one invoice per order stay one).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Table, and_, update

__all__ = ["main", "parse_moment", "republish"]

_AGO = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """An RFC 3339 time with an offset, or a duration ago (``15m``, ``2h``, ``90s``).

    Raises:
        ValueError: neither; the message says what to type.
    """
    match = _AGO.fullmatch(text.strip())
    if match:
        seconds = float(match.group("number")) * _UNITS[match.group("unit")]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(
            f"{text!r} is not a time: use RFC 3339 with an offset (2026-01-31T12:00:00Z) "
            "or a duration ago (15m, 2h)"
        )
    return moment.astimezone(UTC)


def republish(engine: Engine, table: Table, since: datetime, until: datetime | None = None) -> int:
    """Mark the sent outbox rows created in ``[since, until)`` unsent; return how many."""
    condition = and_(table.c.created_at >= since, table.c.sent_at.is_not(None))
    if until is not None:
        condition = and_(condition, table.c.created_at < until)
    with engine.begin() as conn:
        return int(conn.execute(update(table).where(condition).values(sent_at=None)).rowcount)


def _outbox(service: str) -> Table:
    if service == "order":
        from reference_services.order.adapters import orm
    elif service == "shipping":
        from reference_services.shipping.adapters import orm  # type: ignore[no-redef]
    else:
        from reference_services.invoicing.adapters import orm  # type: ignore[no-redef]
    return orm.outbox


def main(service: str, argv: Sequence[str]) -> int:
    """Run the command for ``service``; exit 0 done, 1 the database failed, 2 bad usage."""
    from reference_services.common.cli import DATABASE_URL_ENV
    from reference_services.common.db import create_db_engine, default_database_url

    parser = argparse.ArgumentParser(
        prog=f"python -m reference_services {service} republish",
        description="Mark a range of this service's outbox unsent, so that its relay "
        "publishes those events again (same CloudEvent ids).",
    )
    parser.add_argument(
        "--since", required=True, metavar="WHEN",
        help="rows created at or after WHEN: RFC 3339 (2026-01-31T12:00:00Z) or a duration "
        "ago (15m)",
    )  # fmt: skip
    parser.add_argument("--until", metavar="WHEN", help="rows created before WHEN (default: now)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=f"the service's database, as the service takes it (default: ${DATABASE_URL_ENV}, "
        "else the service's default SQLite file)",
    )
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    try:
        since = parse_moment(args.since, now)
        until = parse_moment(args.until, now) if args.until else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if until is not None and until <= since:
        print(f"error: --until {args.until} is not after --since {args.since}", file=sys.stderr)
        return 2
    url = args.database_url or os.environ.get(DATABASE_URL_ENV) or default_database_url(service)
    engine = create_db_engine(url)
    try:
        count = republish(engine, _outbox(service), since, until)
    except Exception as exc:  # unreachable database, no such table
        print(
            f"reference {service}: republish failed: {type(exc).__name__}: {exc}".splitlines()[0],
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    window = f"{since.isoformat()} .. {until.isoformat() if until else 'now'}"
    print(
        f"{service}: {count} outbox rows created in {window} marked unsent; the service's "
        "relay publishes them again (now if it runs, else when it starts)"
    )
    return 0
