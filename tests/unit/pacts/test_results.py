"""Turning pact's verification results into accord's errors; the Pact Broker command line."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main
from accord.errors import ViolationError
from accord.events import KafkaMessage
from accord.pacts import ContractViolationError, Mismatch, broker_publish_command, pact_message
from accord.pacts._verify import InteractionOutcome, VerificationResult, _mismatches

pytestmark = pytest.mark.unit

PACTS = Path(__file__).resolve().parents[3] / "contracts" / "pacts"


def test_missing_keys_become_one_mismatch_per_json_path() -> None:
    entry: dict[str, Any] = {
        "result": "Error",
        "mismatch": {
            "type": "mismatches",
            "mismatches": [
                {
                    "type": "BodyMismatch",
                    "path": "$",
                    "mismatch": "Actual map is missing the following keys: billingAddress, total",
                },
                {
                    "type": "MetadataMismatch",
                    "key": "ce_type",
                    "mismatch": "Expected 'order.placed' to be equal to 'order.accepted'",
                },
            ],
        },
    }
    found = _mismatches(entry, "invoicing", "order", "an order.accepted event", False)
    assert [(m.path, m.kind) for m in found] == [
        ("$.billingAddress", "BodyMismatch"),
        ("$.total", "BodyMismatch"),
        ("metadata.ce_type", "MetadataMismatch"),
    ]


def test_contract_violation_names_consumer_interaction_and_path() -> None:
    mismatch = Mismatch(
        "invoicing", "order", "an order.accepted event", "$.billingAddress", "missing field"
    )
    error = ContractViolationError("order", [mismatch])
    assert isinstance(error, ViolationError) and isinstance(error, AssertionError)
    assert (error.consumer, error.interaction, error.path) == (
        "invoicing",
        "an order.accepted event",
        "$.billingAddress",
    )
    assert str(error).splitlines()[1] == (
        "  - consumer 'invoicing', interaction 'an order.accepted event', at $.billingAddress: "
        "missing field"
    )


def test_pending_failures_do_not_fail_the_result() -> None:
    bad = Mismatch("shipping", "order", "x", "$.lines", "missing", pending=True)
    result = VerificationResult(
        "order",
        [
            InteractionOutcome("shipping", "order", "x", False, True, (bad,)),
            InteractionOutcome("invoicing", "order", "y", True, False),
        ],
    )
    assert result.ok
    assert not result.consumer_ok("shipping")
    result.raise_for_violations()  # pending: nothing raised
    assert "FAILED (pending)" in result.summary()


def test_pact_message_uses_the_record_headers_as_metadata() -> None:
    record = KafkaMessage(
        b"k-1", b'{"a":1}', [("ce_type", b"order.accepted"), ("content-type", b"application/json")]
    )
    message = pact_message(record)
    assert message["contents"] == b'{"a":1}'
    assert message["metadata"] == {
        "ce_type": "order.accepted",
        "content-type": "application/json",
        "kafka_key": "k-1",
    }
    assert message["content_type"] == "application/json"


def test_broker_publish_command_line() -> None:
    command = broker_publish_command(
        ["contracts/pacts/shipping-order.json"],
        broker_url="https://broker.example",
        version="1a2b3c",
        branch="main",
        executable="pact",
    )
    assert command == [
        "pact",
        "broker",
        "publish",
        "contracts/pacts/shipping-order.json",
        "--broker-base-url",
        "https://broker.example",
        "--consumer-app-version",
        "1a2b3c",
        "--branch",
        "main",
    ]


def test_publish_to_broker_runs_pact_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "publish",
                "--broker-url",
                "http://127.0.0.1:9292",
                "--pacticipant",
                "shipping",
                "--version",
                "1.0.0",
                "--branch",
                "main",
                "--contracts",
                str(PACTS),
                "--dry-run",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out.split()
    assert printed[1:4] == ["broker", "publish", str(PACTS / "shipping-order.json")]
    assert printed[4:] == [
        "--broker-base-url",
        "http://127.0.0.1:9292",
        "--consumer-app-version",
        "1.0.0",
        "--branch",
        "main",
    ]
    assert Path(printed[0]).name == "pact"
    ran: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert (
        main(
            [
                "publish",
                "--broker-url",
                "http://127.0.0.1:9292",
                "--pacticipant",
                "invoicing",
                "--version",
                "2",
                str(PACTS / "invoicing-order.json"),
            ]
        )
        == 0
    )
    assert ran == [
        [
            printed[0],
            "broker",
            "publish",
            str(PACTS / "invoicing-order.json"),
            "--broker-base-url",
            "http://127.0.0.1:9292",
            "--consumer-app-version",
            "2",
        ]
    ]


def test_can_i_deploy_with_broker_builds_the_pact_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(
            [
                "can-i-deploy",
                "--broker-url",
                "http://127.0.0.1:9292",
                "--pacticipant",
                "order",
                "--version",
                "3",
                "--to-environment",
                "production",
                "--dry-run",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out.split()
    assert printed[1:] == [
        "broker",
        "can-i-deploy",
        "--pacticipant",
        "order",
        "--version",
        "3",
        "--to-environment",
        "production",
        "--broker-base-url",
        "http://127.0.0.1:9292",
    ]


def test_the_pact_cli_accepts_the_publish_command_line() -> None:
    # No broker runs here: --help proves the options we build exist in this pact CLI.
    command = broker_publish_command(["x.json"], broker_url="http://b", version="1", branch="m")
    help_text = subprocess.run(
        [command[0], "broker", "publish", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in ("--broker-base-url", "--consumer-app-version", "--branch"):
        assert option in help_text
