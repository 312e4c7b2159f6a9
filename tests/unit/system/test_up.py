"""``accord up``'s own loop, with a stand-in system: a signal right after the readiness line
stops it cleanly (exit 0), and what the supervisor reports is printed with a status line."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from accord.cli import _demo, main

pytestmark = pytest.mark.unit


class StandInSystem:
    """What ``_up`` reads of a started :class:`~accord.system.ReferenceSystem`."""

    bootstrap_servers = "127.0.0.1:1"

    def __init__(self, changes: list[bool] | None = None) -> None:
        names = ("order", "shipping", "invoicing")
        self.urls = {name: f"http://127.0.0.1:{1001 + i}" for i, name in enumerate(names)}
        self.log_paths = {name: Path(f"/tmp/{name}.log") for name in names}
        self.changes = list(changes or [])
        self.rounds = 0

    def supervise(self) -> bool:
        self.rounds += 1
        return self.changes.pop(0) if self.changes else False

    def status_line(self) -> str:
        return f"order up, shipping up, invoicing up, broker up (round {self.rounds})"


def test_sigterm_just_after_the_readiness_line_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal arrives while the readiness line is being written: the state the handler
    reads must already say 'running', or the signal unwinds `up` as an interrupt (130)."""
    monkeypatch.setattr(_demo, "_start_system", lambda *a: StandInSystem())
    say = _demo._say

    def say_then_terminate(message: str) -> None:
        say(message)
        if message.startswith("reference system is up"):
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(_demo, "_say", say_then_terminate)
    codes = []
    for attempt in range(7):
        try:
            codes.append(main(["up", "--workdir", str(tmp_path / str(attempt))]))
        except KeyboardInterrupt:  # pragma: no cover - the bug: it escaped the handler
            codes.append(-1)
    assert codes == [0] * 7


def test_up_prints_a_status_line_when_the_supervisor_sees_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    system = StandInSystem(changes=[False, True])

    def supervise() -> bool:
        changed = StandInSystem.supervise(system)
        if system.rounds == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return changed

    system.supervise = supervise  # type: ignore[method-assign]
    monkeypatch.setattr(_demo, "_start_system", lambda *a: system)
    monkeypatch.setattr(_demo, "SUPERVISE_EVERY_S", 0.01)
    assert main(["up", "--workdir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "accord: status: order up, shipping up, invoicing up, broker up (round 0)" in err
    assert "accord: status: order up, shipping up, invoicing up, broker up (round 2)" in err
    assert "(round 1)" not in err and "(round 3)" not in err, "only changes are printed"
    assert err.rstrip().endswith(f"stopped; logs are in {tmp_path}")
