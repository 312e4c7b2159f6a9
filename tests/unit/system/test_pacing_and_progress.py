from __future__ import annotations

import pytest

from accord.system import DemoProgress, Pacer, format_progress

pytestmark = pytest.mark.unit


class FakeTime:
    """A monotonic clock that only moves when the code sleeps or work is simulated."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds


def test_pacer_spaces_calls_on_a_fixed_schedule() -> None:
    fake = FakeTime()
    pacer = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(5):
        pacer.wait()
        times.append(round(fake.now - 100.0, 9))
    assert times == [0.0, 0.1, 0.2, 0.3, 0.4]


def test_pacer_does_not_drift_when_calls_take_time() -> None:
    fake = FakeTime()
    pacer = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(4):
        pacer.wait()
        starts.append(round(fake.now - 100.0, 9))
        fake.now += 0.03  # each call takes 30 ms: the pacer sleeps only the rest
    assert starts == [0.0, 0.1, 0.2, 0.3]
    assert fake.sleeps == [0.07, 0.07, 0.07]


def test_pacer_catches_up_after_a_slow_call_instead_of_shifting_the_schedule() -> None:
    fake = FakeTime()
    pacer = Pacer(10.0, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for work in (0.25, 0.0, 0.0, 0.0):
        pacer.wait()
        starts.append(round(fake.now - 100.0, 9))
        fake.now += work
    # Calls 1 and 2 were due at 0.1 and 0.2 but we were busy until 0.25: they go at once.
    assert starts == [0.0, 0.25, 0.25, 0.3]


def test_pacer_without_a_rate_never_sleeps() -> None:
    fake = FakeTime()
    pacer = Pacer(None, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        pacer.wait()
    assert fake.sleeps == []


def test_pacer_rejects_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="rate must not be negative"):
        Pacer(-1.0)


def test_progress_line_while_placing() -> None:
    line = format_progress(DemoProgress(120, 200, 118, 117, 110, elapsed_s=3.21))
    assert line == "orders 120/200  invoices 118  deliveries 117  complete 110  3.21s"


def test_progress_line_while_waiting_shows_when_it_gives_up() -> None:
    line = format_progress(DemoProgress(5, 5, 3, 5, 3, elapsed_s=0.5, remaining_s=59.5))
    assert line == "orders 5/5  invoices 3  deliveries 5  complete 3  500ms  (gives up in 59.5s)"


def test_progress_line_once_complete_drops_the_countdown() -> None:
    line = format_progress(DemoProgress(5, 5, 5, 5, 5, elapsed_s=1.0, remaining_s=59.0))
    assert "gives up" not in line
