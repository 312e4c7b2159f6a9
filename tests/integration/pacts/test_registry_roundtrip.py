"""The registry round trip through the CLI, with real provider verification:
publish the consumers' pacts, verify order versions, record deployments, can-i-deploy."""

from __future__ import annotations

import copy
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main

pytestmark = pytest.mark.integration

PACTS = Path(__file__).resolve().parents[3] / "contracts" / "pacts"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def drop_billing_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from reference_services.order.adapters import events

    original = events.order_data

    def broken(order: Any) -> dict[str, Any]:
        data = original(order)
        del data["billingAddress"]
        return data

    monkeypatch.setattr(events, "order_data", broken)


@pytest.mark.parametrize("kind", ["directory", "git"])
def test_publish_verify_can_i_deploy(
    kind: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = str(tmp_path / "reg") if kind == "directory" else f"git+file://{tmp_path}/reg.git"
    for consumer in ("shipping", "invoicing"):
        code, out = run(
            capsys,
            "publish",
            "--registry",
            reg,
            "--pacticipant",
            consumer,
            "--version",
            "1.0.0",
            "--branch",
            "main",
            "--contracts",
            str(PACTS),
        )
        assert code == 0, out
        assert f"published pact {consumer} -> order" in out

    # order 1: the intact provider. The pacts are pending (never verified) but pass anyway.
    code, out = run(
        capsys,
        "verify",
        "--registry",
        reg,
        "--provider",
        "order",
        "--provider-version",
        "1",
        "--branch",
        "main",
    )
    assert code == 0, out
    assert "shipping 1.0.0 [latest from branch main]: OK" in out
    assert "invoicing 1.0.0 [latest from branch main]: OK" in out

    for consumer in ("shipping", "invoicing"):
        assert (
            run(
                capsys,
                "record-deployment",
                "--registry",
                reg,
                "--pacticipant",
                consumer,
                "--version",
                "1.0.0",
                "--environment",
                "production",
            )[0]
            == 0
        )

    code, out = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "order",
        "--version",
        "1",
        "--to-environment",
        "production",
    )
    assert code == 0, out
    assert out.startswith("yes: order 1 can be deployed to production")

    # order 2 drops billingAddress: the (no longer pending) invoicing pact fails the build.
    with monkeypatch.context() as patch:
        drop_billing_address(patch)
        code, out = run(
            capsys,
            "verify",
            "--registry",
            reg,
            "--provider",
            "order",
            "--provider-version",
            "2",
            "--branch",
            "main",
        )
    assert code == 1, out
    assert "invoicing 1.0.0 [latest from branch main; deployed in production]: FAILED" in out
    assert "$.billingAddress" in out

    code, out = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "order",
        "--version",
        "2",
        "--to-environment",
        "production",
    )
    assert code == 1
    assert out.startswith("no: order 2 cannot be deployed to production")
    assert "invoicing 1.0.0 (deployed in production): order 2 failed" in out
    assert "$.billingAddress" in out
    # Shipping does not use billingAddress: that integration is fine.
    assert "shipping 1.0.0 (deployed in production): pact verified by order 2" in out

    # Deploy order 1, then: can invoicing 1.0.0 go to production? Yes, order 1 verified it.
    assert (
        run(
            capsys,
            "record-deployment",
            "--registry",
            reg,
            "--pacticipant",
            "order",
            "--version",
            "1",
            "--environment",
            "production",
        )[0]
        == 0
    )
    code, out = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "invoicing",
        "--version",
        "1.0.0",
        "--to-environment",
        "production",
    )
    assert code == 0, out


def test_a_new_pending_contract_does_not_fail_the_provider_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = str(tmp_path / "reg")
    assert (
        run(
            capsys,
            "publish",
            "--registry",
            reg,
            "--pacticipant",
            "invoicing",
            "--version",
            "1",
            "--branch",
            "main",
            "--contracts",
            str(PACTS),
        )[0]
        == 0
    )
    assert (
        run(capsys, "verify", "--registry", reg, "--provider", "order", "--provider-version", "1")[
            0
        ]
        == 0
    )
    # invoicing 2 (feature branch) now expects a field the order service does not send.
    wanting = json.loads((PACTS / "invoicing-order.json").read_text())
    newer = copy.deepcopy(wanting)
    newer["interactions"][0]["contents"]["content"]["giftWrap"] = True
    path = tmp_path / "invoicing-order.json"
    path.write_text(json.dumps(newer))
    assert (
        run(
            capsys,
            "publish",
            "--registry",
            reg,
            "--pacticipant",
            "invoicing",
            "--version",
            "2",
            "--branch",
            "gift-wrap",
            str(path),
        )[0]
        == 0
    )

    code, out = run(
        capsys, "verify", "--registry", reg, "--provider", "order", "--provider-version", "1"
    )
    assert code == 0, out  # pending: reported, not failing
    assert "invoicing 2 [latest from branch gift-wrap]: FAILED (pending" in out
    assert "$.giftWrap" in out
    code, out = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "invoicing",
        "--version",
        "2",
        "--to-environment",
        "production",
    )
    assert code == 0  # nothing deployed in production yet
    assert (
        run(
            capsys,
            "record-deployment",
            "--registry",
            reg,
            "--pacticipant",
            "order",
            "--version",
            "1",
            "--environment",
            "production",
        )[0]
        == 0
    )
    code, out = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "invoicing",
        "--version",
        "2",
        "--to-environment",
        "production",
    )
    assert code == 1
    assert "order 1 (deployed in production) failed" in out


@pytest.fixture
def pact_server() -> Iterator[str]:
    """Serves contracts/pacts over HTTP on 127.0.0.1, standing in for a broker's pact URLs."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PACTS))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_verify_reads_pacts_from_urls(pact_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        "verify",
        "--provider",
        "order",
        "--pact-url",
        f"{pact_server}/shipping-order.json",
        "--pact-url",
        f"{pact_server}/invoicing-order.json",
    )
    assert code == 0, out
    assert out.count(" OK") == 8  # shipping 5 (message, 2 support HTTP, feed, details), invoicing 3


def test_verify_reads_latest_pacts_from_a_broker_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No Pact Broker runs here: a static server with the broker's "latest pact" URL layout
    # stands in for one, so this proves the URLs accord builds and that pact reads them.
    for consumer in ("shipping", "invoicing"):
        target = tmp_path / "pacts/provider/order/consumer" / consumer / "branch/main/latest"
        target.parent.mkdir(parents=True)
        target.write_bytes((PACTS / f"{consumer}-order.json").read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, out = run(
            capsys,
            "verify",
            "--provider",
            "order",
            "--broker-url",
            f"http://127.0.0.1:{server.server_address[1]}",
            "--consumer",
            "shipping",
            "--consumer",
            "invoicing",
            "--consumer-branch",
            "main",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert code == 0, out
    assert "/pacts/provider/order/consumer/invoicing/branch/main/latest" in out
    assert out.count(" OK") == 8  # shipping 5 (message, 2 support HTTP, feed, details), invoicing 3


def test_verify_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "verify", "--provider", "payments", "--contracts", str(PACTS))
    assert code == 2
    assert "no provider adapter for 'payments'" in out
    code, out = run(capsys, "verify", "--provider", "order")
    assert code == 2
    assert "nothing to verify" in out
    code, out = run(capsys, "verify", "--provider", "order", "--broker-url", "http://b")
    assert code == 2
    assert "pass --consumer NAME" in out
    code, out = run(
        capsys,
        "can-i-deploy",
        "--pacticipant",
        "order",
        "--version",
        "1",
        "--to-environment",
        "prod",
    )
    assert code == 2
    assert "no registry" in out
