"""Fixtures of the reliability suite: the size of a run, its seed, and the figures it measured.

Short versions run in the default ``pytest``; ``--reliability-long`` runs the long ones
(``pytest tests/reliability --reliability-long``). Every scenario records its figures
(orders, faults, lost, duplicated, late, recovery time) with :func:`figures`; they are
printed at the end of the run, and appended as JSON lines to ``$ACCORD_RELIABILITY_FIGURES``
when that is set (how ``docs/reliability.md`` was filled).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The scenarios share the harness modules beside this file (tests/ is not a package).
sys.path.insert(0, str(Path(__file__).parent))

from harness_system import FaultySystem

_FIGURES = pytest.StashKey[list[dict[str, Any]]]()


@dataclass(frozen=True)
class Size:
    """How big a run is: short (CI) or long (``--reliability-long``)."""

    long: bool
    seed: int | None

    def pick(self, short: Any, long: Any) -> Any:
        return long if self.long else short

    def seed_or(self, default: int) -> int:
        return self.seed if self.seed is not None else default


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def size(pytestconfig: pytest.Config) -> Size:
    return Size(
        bool(pytestconfig.getoption("--reliability-long")),
        pytestconfig.getoption("--reliability-seed"),
    )


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``figures(scenario=..., **numbers)``: keep a scenario's figures for the summary."""
    store = request.config.stash.setdefault(_FIGURES, [])

    def record(**numbers: Any) -> None:
        row = {"test": request.node.name, **numbers}
        store.append(row)
        path = os.environ.get("ACCORD_RELIABILITY_FIGURES")
        if path:
            with Path(path).open("a") as out:
                out.write(json.dumps(row, default=str) + "\n")

    return record


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = config.stash.get(_FIGURES, [])
    if not rows:
        return
    terminalreporter.section("reliability figures")
    for row in rows:
        terminalreporter.write_line(json.dumps(row, default=str))


@pytest.fixture(scope="session")
def shared_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultySystem]:
    """One system (behind a fault proxy) that the scenarios which leave it whole share.

    Each of them judges only the orders the order database gained during the scenario and
    leaves every service running and every fault healed; starting a system costs ~7 s.
    """
    with FaultySystem(tmp_path_factory.mktemp("shared"), proxy=True) as running:
        yield running


@pytest.fixture
def system_factory(tmp_path: Path) -> Iterator[Callable[..., FaultySystem]]:
    """Start a :class:`FaultySystem` (stopped at the end of the test, whatever happened)."""
    started: list[FaultySystem] = []

    def make(**options: Any) -> FaultySystem:
        system = FaultySystem(tmp_path / f"system{len(started)}", **options)
        started.append(system)
        return system.start()

    yield make
    for system in started:
        system.stop()
