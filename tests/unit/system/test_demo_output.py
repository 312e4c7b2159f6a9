"""What `accord demo` prints: the progress line and the summary."""

from __future__ import annotations

import io

import pytest

from accord.cli import main
from accord.cli._demo import ProgressPrinter, summary_lines
from accord.system import ArrivalTracker, DemoProgress, DemoResult

pytestmark = pytest.mark.unit


def progress(placed: int, complete: int, elapsed: float) -> DemoProgress:
    return DemoProgress(placed, 10, complete, complete, complete, elapsed_s=elapsed)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_progress_rewrites_one_line() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=True)
    printer(progress(1, 0, 0.1))
    printer(progress(2, 1, 0.2))
    printer.finish(progress(10, 10, 1.5))
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("complete 10  1.5s\n")
    assert text.count("\r\x1b[K") == 3


def test_without_a_terminal_progress_prints_a_line_every_few_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    printer = ProgressPrinter(out, tty=False, every_s=5.0, clock=clock)
    for step in range(21):  # 10 s in steps of 0.5 s
        clock.now = step * 0.5
        printer(progress(min(10, step), step // 2, clock.now))
    printer.finish(progress(10, 10, 10.0))  # the same as the last line: not repeated
    lines = out.getvalue().splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["0s", "5s", "10s"]
    assert "\r" not in out.getvalue()


def test_without_a_terminal_the_final_state_is_always_printed() -> None:
    out, clock = io.StringIO(), Clock()
    printer = ProgressPrinter(out, tty=False, every_s=5.0, clock=clock)
    printer(progress(1, 0, 0.0))
    clock.now = 1.0
    printer(progress(10, 3, 1.0))  # too soon after the last line: skipped
    printer.finish(progress(10, 10, 1.2))
    assert out.getvalue().splitlines()[-1].endswith("complete 10  1.2s")
    assert len(out.getvalue().splitlines()) == 2


def _result(tracker: ArrivalTracker, within_s: float) -> DemoResult:
    return DemoResult([], tracker.summary(within_s), None, 0.5, 2.0, timed_out=False)


def _event(kind: str, key: str, time: str) -> dict[str, object]:
    return {"id": f"{kind}{key}", "type": kind, "time": time, "partitionkey": key}


def test_summary_of_a_good_run_names_the_slowest_order() -> None:
    tracker = ArrivalTracker()
    for key, seconds in (("o-1", "0.2"), ("o-2", "1.25")):
        tracker.expect(key)
        tracker.add(_event("order.accepted", key, "2026-01-01T00:00:00Z"))
        tracker.add(_event("invoice.created", key, f"2026-01-01T00:00:0{seconds}Z"))
        tracker.add(_event("delivery.created", key, "2026-01-01T00:00:00.1Z"))
    lines = summary_lines(_result(tracker, 60.0), 60.0)
    assert lines[0] == "orders 2 (placed in 500ms), invoices 2, deliveries 2, limit 60s"
    assert lines[1] == "  invoice.created   p50 200ms  p90 1.25s  p99 1.25s  max 1.25s"
    assert "slowest order o-2: invoice.created after 1.25s" in lines
    assert lines[-1] == "OK: every order got its invoice and delivery within 60s"


def test_summary_of_a_bad_run_names_missing_and_late_orders() -> None:
    tracker = ArrivalTracker()
    for key in ("o-1", "o-2", "o-3"):
        tracker.expect(key)
        tracker.add(_event("order.accepted", key, "2026-01-01T00:00:00Z"))
        tracker.add(_event("delivery.created", key, "2026-01-01T00:00:00.1Z"))
    tracker.add(_event("invoice.created", "o-1", "2026-01-01T00:00:03Z"))
    lines = summary_lines(_result(tracker, 1.0), 1.0)
    assert "missing for 2 orders: o-2 (invoice.created), o-3 (invoice.created)" in lines
    assert "late for 1 order: o-1 (invoice.created after 3s)" in lines
    assert lines[-1] == "FAILED: 2 orders missing something, 1 late (limit 1s)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--orders", "0"], "--orders 0: place at least 1 order"),
        (["demo", "--rate", "-2"], "--rate -2.0: give a positive number"),
        (["demo", "--invoicing-delay-ms", "-1"], "--invoicing-delay-ms -1: must not be negative"),
        (["up", "--kafka", "h:1", "--enforce-schemas"], "--enforce-schemas configures"),
    ],
)
def test_bad_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_duration_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--within", "soon"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'soon' is not a duration" in err and err.count("\n") == 1


def test_a_run_below_the_asked_rate_says_the_rate_it_reached() -> None:
    from accord.system import PlacedOrder

    tracker = ArrivalTracker()
    placed = [PlacedOrder(f"o{n}", float(n)) for n in range(74)]
    slow = DemoResult(placed, tracker.summary(60.0), None, 1.0, 2.0, timed_out=False)
    lines = summary_lines(slow, 60.0, rate=200.0)
    assert lines[1] == (
        "warning: orders were placed at 74/s, not the 200/s asked: the order service did "
        "not answer faster (see docs/performance.md)"
    )
    assert not any("warning" in line for line in summary_lines(slow, 60.0, rate=80.0))
    assert not any("warning" in line for line in summary_lines(slow, 60.0))
