"""What a new user sees when an option is wrong: one line, ``accord: error: ...``, exit 2,
and nothing started or left behind."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from accord.cli import build_parser, main

pytestmark = pytest.mark.unit


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Fail loudly if the demo starts anything; temporary directories go to a fresh place."""
    import accord.cli._demo as demo

    def started(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the system was started before the options were checked")

    monkeypatch.setattr(demo, "_start_system", started)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(tmp_path)
    return temp


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere but on a read-only or pseudo file system
        return Path("/sys/accord-report")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "report"


def test_a_report_dir_under_a_file_is_refused_before_anything_starts(
    nothing_starts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert main(["demo", "--orders", "1", "--report-dir", "notes.txt/report"]) == 2
    assert capsys.readouterr().err == (
        "accord: error: --report-dir notes.txt/report: notes.txt is a file, not a directory; "
        "choose another --report-dir\n"
    )
    assert list(nothing_starts.iterdir()) == []  # no work folder left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "tmp"]


def test_an_unwritable_report_dir_is_refused_before_anything_starts(
    nothing_starts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _unwritable(tmp_path)
    assert main(["demo", "--report-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"accord: error: --report-dir {target}: cannot write in {target.parent} ("
    )
    assert err.endswith("); choose another --report-dir\n") and err.count("\n") == 1
    assert list(nothing_starts.iterdir()) == [] and not target.exists()


@pytest.mark.parametrize("command", ["demo", "up"])
def test_a_malformed_database_url_is_refused_before_anything_starts(
    command: str, nothing_starts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--database-url", "notaurl"]) == 2
    assert capsys.readouterr().err == (
        "accord: error: --database-url 'notaurl' is not a SQLAlchemy URL: use e.g. "
        "postgresql+psycopg://user@host:5432/postgres\n"
    )
    assert list(nothing_starts.iterdir()) == []


def test_a_kafka_host_that_does_not_resolve_is_named_at_once(
    nothing_starts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    assert main(["demo", "--kafka", "nohost.invalid:9092"]) == 2
    assert time.monotonic() - started < 5  # not the broker's 10 s connection timeout
    err = capsys.readouterr().err
    assert err.startswith(
        "accord: error: --kafka nohost.invalid:9092: the host name 'nohost.invalid' does not "
        "resolve ("
    )
    assert err.endswith("); give the address of a reachable broker\n")


def _subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    chosen: argparse.ArgumentParser = sub.choices[name]
    return chosen


@pytest.mark.parametrize("name", ["publish", "verify", "can-i-deploy", "record-deployment"])
def test_contract_commands_and_every_option_have_help(name: str) -> None:
    parser = _subcommand(name)
    assert parser.description
    undocumented = [
        action.option_strings or action.dest
        for action in parser._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert undocumented == []


def test_can_i_deploy_help_says_what_the_options_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["can-i-deploy", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--pacticipant NAME the application to deploy, e.g. order" in out
    assert "--to-environment ENV the environment to deploy to, e.g. production" in out


def test_can_i_deploy_against_an_empty_registry_has_nothing_to_decide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    argv = ["can-i-deploy", "--pacticipant", "order", "--version", "1.4.0"]
    assert main([*argv, "--to-environment", "production", "--registry", str(registry)]) == 2
    assert capsys.readouterr().err == (
        f"accord: error: registry {registry} is empty: nothing was published to it, so there "
        "is nothing to decide; publish pacts first (accord publish) or check --registry\n"
    )


def test_broker_start_listens_on_the_documented_port_by_default() -> None:
    args = build_parser().parse_args(["broker", "start"])
    assert args.port == 9092  # README: kafka://127.0.0.1:9092/order


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-command"],
        ["audit", "--bogus"],
        ["demo", "--orders", "many"],
        ["demo", "--orders", "0"],
        ["report", "merge", "missing.json"],
        ["schema", "validate", "missing.jsonl"],
        ["can-i-deploy", "--pacticipant", "order"],
        ["broker", "start", "--port", "70000"],
    ],
)
def test_every_error_line_starts_with_accord_error(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exited:
        code = int(exited.code or 0)
    assert code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("accord: error: "), lines


def test_a_failure_of_the_system_is_an_accord_error_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from accord.errors import BrokerError

    def broken(args: argparse.Namespace) -> int:
        raise BrokerError("Tansu exited with code 1; see /tmp/broker.log")

    monkeypatch.setattr("accord.cli._broker._start", broken)
    assert main(["broker", "start"]) == 1
    assert capsys.readouterr().err == (
        "accord: error: Tansu exited with code 1; see /tmp/broker.log\n"
    )
