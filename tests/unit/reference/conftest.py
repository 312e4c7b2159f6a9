"""Helpers for the reference services' unit tests: sample events, schemas, throw-away services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reference_services.bootstrap import bootstrap
from reference_services.common.runtime import ServiceRuntime
from reference_services.samples import ACCEPTED_AT

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


@pytest.fixture
def schema_errors() -> Callable[..., list[str]]:
    """``schema_errors(event_type, data, version=1)``: every error of ``data`` against the
    type's schema of that version."""
    return _schema_errors


def _schema_errors(event_type: str, data: Any, version: int = 1) -> list[str]:
    """Messages of every error of ``data`` against ``contracts/schemas/<type>/v<N>.json``."""
    schema = json.loads((CONTRACTS / "schemas" / event_type / f"v{version}.json").read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


@pytest.fixture
def service() -> Iterator[Callable[[str], ServiceRuntime]]:
    """Factory of services on throw-away SQLite files, without Kafka, stopped after the test."""
    made: list[ServiceRuntime] = []

    def make(name: str) -> ServiceRuntime:
        runtime = bootstrap(name, now=lambda: ACCEPTED_AT)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop()
