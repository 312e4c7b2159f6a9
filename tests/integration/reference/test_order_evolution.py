"""Seeded changes to the order service's ``order.accepted``, judged as ``checks/`` judges them.

A benign change (an optional field no consumer reads) must pass; each breaking change must
fail, naming what broke. Each change wraps the ONE function the order service builds its event
with (``reference_services.order.adapters.events.order_accepted_event``); the checks are those
of ``checks/``: the event-schema check (the record the outbox relay sends, decoded as a
consumer decodes it, against ``contracts/``) and the consumer contracts (every pact in
``contracts/pacts`` verified against the order service, real outbox relay included).
The last test runs ``checks/`` itself on the whole reference system with the benign change.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accord.events import Location, from_kafka, to_kafka
from accord.pacts import verify_provider
from accord.schemas import SchemaRegistry
from reference_services.order.adapters import events as order_events
from reference_services.order.entrypoints.pact_provider import OrderProvider
from reference_services.samples import sample_order

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def _benign(event: dict[str, Any]) -> None:
    event["data"]["giftNote"] = "for Ada"  # unused, optional, a string


def _drop(event: dict[str, Any]) -> None:
    del event["data"]["total"]


def _rename(event: dict[str, Any]) -> None:
    event["data"]["grandTotal"] = event["data"].pop("total")


def _retype(event: dict[str, Any]) -> None:
    event["data"]["total"] = float(event["data"]["total"])


def _type_string(event: dict[str, Any]) -> None:
    event["type"] = "OrderAccepted"


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "benign": _benign,
    "drop": _drop,
    "rename": _rename,
    "retype": _retype,
    "type string": _type_string,
}
#: what the event-schema check names, and what the failing consumer pacts name
EXPECTED: dict[str, tuple[list[str], set[str], str]] = {
    "benign": ([], set(), ""),
    "drop": (["/data/total: required property missing"], {"invoicing"}, "$.total"),
    "rename": (["/data/total: required property missing"], {"invoicing"}, "$.total"),
    "retype": (["/data/total: expected string, got number 200.29"], {"invoicing"}, "$.total"),
    "type string": (
        ['/type: unknown event type "OrderAccepted"'],
        {"invoicing", "shipping"},
        "ce_type",
    ),
}


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    name = request.param
    original = order_events.order_accepted_event

    def changed(order: Any) -> dict[str, Any]:
        event = original(order)
        CHANGES[name](event)
        return event

    monkeypatch.setattr(order_events, "order_accepted_event", changed)
    return str(name)


@pytest.mark.parametrize("seeded", list(CHANGES), indirect=True)
def test_checks_pass_a_benign_change_and_name_each_breaking_one(seeded: str) -> None:
    schema_problems, broken_consumers, field = EXPECTED[seeded]
    registry = SchemaRegistry.from_directory(REPO / "contracts")
    record = order_events.order_accepted_message(sample_order())
    event = from_kafka(record.key, record.value, record.headers)
    where = Location("order", partition=0, offset=0)
    violations = registry.validate(event, record.key.decode(), where)
    assert [f"{v.pointer}: {v.message}".split(" (known")[0] for v in violations] == (
        schema_problems
    )
    assert to_kafka(event).value == record.value

    with OrderProvider(http=False) as provider:
        result = verify_provider(provider, [REPO / "contracts" / "pacts"], raises=False)
    messages = [o for o in result.outcomes if o.description.startswith("an order.accepted")]
    assert {o.consumer for o in messages} == {"invoicing", "shipping"}
    failed = {o.consumer for o in messages if not o.ok}
    assert failed == broken_consumers, result.summary()
    if field:
        assert field in result.summary(), result.summary()


SITECUSTOMIZE = r"""
    # Seeds a benign change into the order service in every process of this test run.
    import os

    from reference_services.order.adapters import events as _events

    _original = _events.order_accepted_event


    def _with_gift_note(order):
        event = _original(order)
        event["data"]["giftNote"] = "for Ada"
        with open(os.environ["SEEDED_MARKER"], "a") as marker:  # proof it ran, and where
            marker.write(f"{os.getpid()}\n")
        return event


    _events.order_accepted_event = _with_gift_note
"""


@pytest.mark.e2e
def test_checks_pass_with_a_benign_change_on_the_whole_system(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    marker = tmp_path / "seeded.pids"
    env = {
        **os.environ,
        "SEEDED_MARKER": str(marker),
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from reference_services.order.adapters import events;"
            "from reference_services.samples import sample_order;"
            "print(events.order_accepted_event(sample_order())['data']['giftNote'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "for Ada"  # the change is really in place
    marker.unlink()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "checks/test_event_schemas.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    # the event-schema check runs once per transport (checks/conftest.py): Kafka and Atom
    assert "2 passed" in run.stdout, run.stdout[-2000:]
    # the order service's own process built every order.accepted with the change
    pids = set(marker.read_text().split())
    assert pids and str(os.getpid()) not in pids
