"""Fixtures shared by accord's own tests: the real embedded broker and real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from accord.broker import EmbeddedBroker
from accord.testing import postgres_database


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("accord reliability suite (tests/reliability)")
    group.addoption(
        "--reliability-long",
        action="store_true",
        default=False,
        help="run the long versions of the fault scenarios (thousands of orders, 10 s "
        "pauses); the default runs the short versions CI can afford",
    )
    group.addoption(
        "--reliability-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the fault schedules (default: each scenario's fixed seed); a failing "
        "run prints its seed, and this replays it",
    )


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One embedded Tansu broker for the whole session (memory storage, free port)."""
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log) as running:
        yield running


@pytest.fixture
def fresh_broker(tmp_path: object) -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, for tests that stop or restart it."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture
def pg_database() -> Iterator[Callable[[], str]]:
    """Factory of empty PostgreSQL databases (SQLAlchemy URLs), dropped after the test."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(postgres_database(prefix="accord_test"))


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Topic names unique to this test, so tests sharing the session broker do not collide."""
    import uuid

    def make(base: str) -> str:
        return f"{base}-{uuid.uuid4().hex[:8]}"

    return make
