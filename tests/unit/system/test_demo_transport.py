"""``--transport`` of ``accord demo``/``up`` and the commands the services get per transport."""

from __future__ import annotations

import pytest

from accord.cli import main
from accord.system import ReferenceSystem

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--transport", "atom", "--kafka", "h:1"], "--kafka applies to --transport kafka"),
        (["up", "--transport", "atom", "--enforce-schemas"], "--enforce-schemas applies to"),
        (["demo", "--transport", "atom", "--poll-interval-ms", "0"], "--poll-interval-ms 0"),
    ],
)
def test_options_that_need_a_broker_are_usage_errors_with_atom(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_an_unknown_transport_is_refused_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--transport", "nats"])
    assert exited.value.code == 2
    assert "invalid choice: 'nats'" in capsys.readouterr().err


def test_atom_services_poll_the_order_feed_and_get_no_broker() -> None:
    system = ReferenceSystem(None, transport="atom", poll_interval_ms=25, launcher=["run"])
    system._ports = {"order": 8001, "shipping": 8002, "invoicing": 8003}
    # The database URL goes by environment (REFERENCE_DATABASE_URL), not on the command line.
    assert system._command("order", 8001) == [
        "run",
        "order",
        "--port",
        "8001",
        "--transport",
        "atom",
    ]
    assert system._command("shipping", 8002)[-6:] == [
        "--transport",
        "atom",
        "--order-feed",
        "http://127.0.0.1:8001/feed",
        "--poll-interval-ms",
        "25",
    ]
    assert "--bootstrap-servers" not in system._command("invoicing", 8003)
    assert system.status_line() == ""  # no services started, and no broker to report
    assert system.bootstrap_servers == ""


def test_kafka_needs_a_broker_and_transports_are_named() -> None:
    with pytest.raises(ValueError, match="needs a broker"):
        ReferenceSystem(None)
    with pytest.raises(ValueError, match="choose one of kafka, atom"):
        ReferenceSystem(None, transport="nats")
