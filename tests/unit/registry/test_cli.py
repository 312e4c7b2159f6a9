"""Exit codes and messages of the registry commands (no provider verification here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.cli import main
from accord.registry import DirectoryRegistry

pytestmark = pytest.mark.unit

PACTS = Path(__file__).resolve().parents[3] / "contracts" / "pacts"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_publish_record_and_ask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = str(tmp_path / "reg")
    code, out, _ = run(
        capsys,
        "publish",
        "--registry",
        reg,
        "--pacticipant",
        "shipping",
        "--version",
        "1",
        "--branch",
        "main",
        "--contracts",
        str(PACTS),
    )
    assert code == 0
    assert out.startswith("published pact shipping -> order (")
    registry = DirectoryRegistry(reg)
    (selected,) = registry.pacts_for_verification("order")
    registry.record_verification(
        provider="order",
        provider_version="7",
        consumer="shipping",
        consumer_version="1",
        sha=selected.sha,
        success=False,
        mismatches=[{"interaction": "a request", "path": "$.lines", "message": "missing"}],
    )
    assert (
        run(
            capsys,
            "record-deployment",
            "--registry",
            reg,
            "--pacticipant",
            "shipping",
            "--version",
            "1",
            "--environment",
            "prod",
        )[0]
        == 0
    )
    code, out, _ = run(
        capsys,
        "can-i-deploy",
        "--registry",
        reg,
        "--pacticipant",
        "order",
        "--version",
        "7",
        "--to-environment",
        "prod",
    )
    assert code == 1
    assert out.splitlines() == [
        "no: order 7 cannot be deployed to prod",
        "  - shipping 1 (deployed in prod): order 7 failed: 'a request' at $.lines: missing",
    ]


def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACCORD_REGISTRY", raising=False)
    reg = str(tmp_path / "reg")
    code, _, err = run(
        capsys,
        "publish",
        "--registry",
        reg,
        "--pacticipant",
        "nobody",
        "--version",
        "1",
        "--contracts",
        str(PACTS),
    )
    assert code == 2
    assert "nothing to publish for nobody" in err
    code, _, err = run(
        capsys,
        "publish",
        "--registry",
        reg,
        "--pacticipant",
        "shipping",
        "--version",
        "1",
        str(PACTS / "invoicing-order.json"),
    )
    assert code == 2
    assert "belongs to consumer 'invoicing', not 'shipping'" in err
    code, _, err = run(
        capsys,
        "record-deployment",
        "--registry",
        reg,
        "--pacticipant",
        "order",
        "--version",
        "404",
        "--environment",
        "prod",
    )
    assert code == 2
    assert "order 404 is not in the registry" in err
    code, _, err = run(
        capsys,
        "record-deployment",
        "--pacticipant",
        "order",
        "--version",
        "1",
        "--environment",
        "prod",
    )
    assert code == 2
    assert "no registry: pass --registry" in err
    code, _, err = run(
        capsys,
        "publish",
        "--registry",
        reg,
        "--pacticipant",
        "order",
        "--version",
        "1",
        "--schemas",
        str(tmp_path / "none"),
    )
    assert code == 2
    assert "none: no such schema file or directory" in err


def test_registry_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_REGISTRY", str(tmp_path / "env-reg"))
    assert (
        run(
            capsys,
            "publish",
            "--pacticipant",
            "invoicing",
            "--version",
            "1",
            str(PACTS / "invoicing-order.json"),
        )[0]
        == 0
    )
    assert (tmp_path / "env-reg" / "registry.json").exists()


def test_can_i_deploy_against_a_registry_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo"
    code, out, err = run(
        capsys,
        "can-i-deploy",
        "--registry",
        str(missing),
        "--pacticipant",
        "order",
        "--version",
        "1",
        "--to-environment",
        "prod",
    )
    assert (code, out) == (2, "")
    assert err == (
        f"accord: error: {missing}: no such registry directory; "
        "publish to it first or check --registry\n"
    )
    assert not missing.exists()
