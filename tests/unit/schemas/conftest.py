"""Fixtures for the schema tests: the real contracts directory and known-good events."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from accord.schemas import SchemaRegistry
from accord.schemas._samples import sample_event

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


@pytest.fixture(scope="session")
def contracts_dir() -> Path:
    return CONTRACTS


@pytest.fixture(scope="session")
def registry() -> SchemaRegistry:
    return SchemaRegistry.from_directory(CONTRACTS)


@pytest.fixture
def order_event() -> dict[str, Any]:
    """A valid order.accepted event; tests break it on purpose."""
    return sample_event("order.accepted", random.Random(42))


@pytest.fixture
def delivery_event() -> dict[str, Any]:
    return sample_event("delivery.created", random.Random(43))


@pytest.fixture
def invoice_event() -> dict[str, Any]:
    return sample_event("invoice.created", random.Random(44))
