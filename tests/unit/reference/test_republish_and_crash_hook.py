"""The operator's republish command and the crash-after-ack fault hook (no broker needed)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from accord.events import KafkaMessage
from reference_services.common import faults
from reference_services.common.cli import main
from reference_services.common.republish import parse_moment, republish
from reference_services.order.adapters import orm

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'order.db'}"
    engine = create_engine(url)
    orm.metadata.create_all(engine)
    with engine.begin() as conn:
        for minute in range(10):
            at = T0 + timedelta(minutes=minute)
            conn.execute(
                orm.outbox.insert().values(
                    event_id=f"e{minute}", topic="order", event="{}", created_at=at,
                    sent_at=None if minute == 9 else at + timedelta(seconds=1),
                )
            )  # fmt: skip
    engine.dispose()
    return url


def _unsent(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(orm.outbox.c.sent_at.is_(None))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def test_republish_marks_the_sent_rows_of_the_range_unsent(database: str) -> None:
    engine = create_engine(database)
    try:
        since, until = T0 + timedelta(minutes=3), T0 + timedelta(minutes=6)
        assert republish(engine, orm.outbox, since, until) == 3  # minutes 3, 4, 5
        assert republish(engine, orm.outbox, T0 + timedelta(minutes=8)) == 1  # 9 was unsent
    finally:
        engine.dispose()
    assert _unsent(database) == 5


def test_the_command_republishes_and_says_how_many(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERENCE_DATABASE_URL", database)  # as accord up passes it
    code = main(["order", "republish", "--since", "2026-12-04T12:05:00Z"])
    assert code == 0
    assert capsys.readouterr().out.startswith("order: 4 outbox rows created in 2026-12-04T12:05")
    assert _unsent(database) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "'yesterday' is not a time"),
        (["--since", "2026-12-04T12:00:00"], "is not a time"),  # no offset
        (["--since", "1h", "--until", "2h"], "is not after --since"),
    ],
)
def test_bad_moments_are_usage_errors(
    database: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["order", "republish", *args, "--database-url", database]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert _unsent(database) == 1, "nothing changed"


def test_a_database_without_the_table_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["shipping", "republish", "--since", "1h", "--database-url", url]) == 1
    assert "reference shipping: republish failed: OperationalError" in capsys.readouterr().err


def test_parse_moment_takes_rfc3339_and_durations_ago() -> None:
    now = T0
    assert parse_moment("15m", now) == T0 - timedelta(minutes=15)
    assert parse_moment("90s", now) == T0 - timedelta(seconds=90)
    assert parse_moment("2026-12-04T14:00:00+02:00") == T0


class _Future:
    def get(self, timeout: float | None = None) -> str:
        return "acked"


class _Publisher:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False

    def send(self, topic: str, message: KafkaMessage) -> _Future:
        self.sent.append(topic)
        return _Future()

    def close(self) -> None:
        self.closed = True


def test_without_the_variable_the_publisher_is_untouched() -> None:
    publisher = _Publisher()
    assert faults.crash_hook(publisher, {}) is publisher


@pytest.mark.parametrize("value", ["x", "0", "-3"])
def test_a_bad_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        faults.crash_hook(_Publisher(), {faults.CRASH_AFTER_ACK_ENV: value})


def test_the_nth_acknowledgement_kills_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    kills: list[tuple[int, Any]] = []
    monkeypatch.setattr(faults.os, "kill", lambda pid, sig: kills.append((pid, sig)))
    inner = _Publisher()
    wrapped = faults.crash_hook(inner, {faults.CRASH_AFTER_ACK_ENV: "3"})
    message = KafkaMessage(key=b"k", value=b"v", headers=[])
    futures = [wrapped.send("order", message) for _ in range(3)]
    assert inner.sent == ["order"] * 3 and kills == [], "sending is not acknowledging"
    futures[0].get(timeout=1)
    futures[1].get(timeout=1)
    assert kills == []
    assert futures[2].get(timeout=1) == "acked"
    assert kills == [(faults.os.getpid(), signal.SIGKILL)]
    wrapped.close()  # type: ignore[attr-defined]
    assert inner.closed
