"""Shared pieces of the consumer and provider contract tests.

Consumer tests write their pacts to ``contracts/pacts/`` (committed; regenerated on every
run, byte-identical when nothing changed). The provider test verifies the order service
against every pact in that directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

#: Where the consumer tests write their pacts and the provider test reads them.
PACT_DIR = Path(__file__).resolve().parents[2] / "contracts" / "pacts"


def _record_from_pact(body: Any, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the Kafka record pact hands to a consumer, and decode it the way the real
    Kafka consumer does (``accord.events.from_kafka``): metadata are the record headers,
    the body is the record value."""
    from accord.events import from_kafka

    headers = [
        (name, (value if isinstance(value, str) else json.dumps(value)).encode())
        for name, value in metadata.items()
    ]
    value = body if isinstance(body, bytes) else str(body).encode()
    key = metadata.get("ce_partitionkey")
    return from_kafka(str(key).encode() if key is not None else None, value, headers)


@pytest.fixture(scope="session")
def pact_dir() -> Path:
    """The committed pact directory, ``contracts/pacts``."""
    return PACT_DIR


@pytest.fixture(scope="session")
def record_from_pact() -> Callable[[Any, Mapping[str, Any]], dict[str, Any]]:
    """See :func:`_record_from_pact`."""
    return _record_from_pact


@pytest.fixture(scope="session")
def pact_writer() -> Callable[[list[Any], list[str], int], bool]:
    """Write a consumer's pact to :data:`PACT_DIR` once every test declaring it passed.

    The first handle replaces the file, the others merge into it.
    """

    def write(handles: list[Any], passed: list[str], expected: int) -> bool:
        if len(set(passed)) != expected:
            return False
        PACT_DIR.mkdir(parents=True, exist_ok=True)
        for index, handle in enumerate(handles):
            handle.write_file(PACT_DIR, overwrite=index == 0)
        return True

    return write


@pytest.fixture
def sqlite_engine() -> Iterator[Callable[[Any], Any]]:
    """Factory: an in-memory SQLite engine with the given service's tables created."""
    from reference_services.common.db import MEMORY_URL, create_db_engine

    engines = []

    def make(metadata: Any) -> Any:
        engine = create_db_engine(MEMORY_URL)
        metadata.create_all(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
