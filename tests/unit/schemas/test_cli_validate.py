"""``accord schema validate`` on files and stdin: exact output lines and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main

pytestmark = pytest.mark.unit


def jsonl(path: Path, *lines: Any) -> str:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["schema", "validate", *argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_all_valid_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path,
    order_event: dict[str, Any], delivery_event: dict[str, Any], invoice_event: dict[str, Any],
) -> None:
    source = jsonl(tmp_path / "events.jsonl", order_event, delivery_event, invoice_event)
    code, out, err = run(capsys, "--contracts", str(contracts_dir), source)
    assert (code, out, err) == (0, ["3 events checked: 3 valid, 0 invalid (0 violations)"], "")


def test_each_violation_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path,
    order_event: dict[str, Any], delivery_event: dict[str, Any],
) -> None:
    broken = json.loads(json.dumps(order_event))
    broken["data"]["lines"][0]["item"]["price"] = 12.5
    broken["time"] = "yesterday"
    unknown = dict(delivery_event, type="delivery.lost")
    source = jsonl(tmp_path / "events.jsonl", order_event, broken, "", unknown)
    code, out, err = run(capsys, "--contracts", str(contracts_dir), source)
    assert code == 1
    assert err == ""
    assert out == [
        f"{source}:2: order.accepted {broken['id']}: /time: expected an RFC 3339 date-time, "
        'got "yesterday"',
        f"{source}:2: order.accepted {broken['id']}: /data/lines/0/item/price: expected string, "
        "got number 12.5",
        f"{source}:4: delivery.lost {unknown['id']}: /type: unknown event type "
        '"delivery.lost" (known: delivery.created, invoice.created, order.accepted)',
        "3 events checked: 1 valid, 2 invalid (3 violations)",
    ]


def test_several_sources_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path,
    monkeypatch: pytest.MonkeyPatch, order_event: dict[str, Any], invoice_event: dict[str, Any],
) -> None:
    missing_id = dict(invoice_event)
    del missing_id["id"]
    stdin = io.TextIOWrapper(io.BytesIO((json.dumps(missing_id) + "\n").encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    source = jsonl(tmp_path / "a.jsonl", order_event)
    code, out, _ = run(capsys, "--contracts", str(contracts_dir), source, "-")
    assert code == 1
    assert out == [
        "stdin:1: invoice.created ?: /id: required attribute missing",
        "2 events checked: 1 valid, 1 invalid (1 violation)",
    ]


def test_a_line_that_is_not_json_is_unusable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path,
    order_event: dict[str, Any],
) -> None:
    source = jsonl(tmp_path / "events.jsonl", order_event, '{"specversion": "1.0",')
    code, out, err = run(capsys, "--contracts", str(contracts_dir), source)
    assert code == 2
    assert out == []
    assert err.startswith(f"accord: error: {source}:2: not JSON (")
    assert err.count("\n") == 1


def test_a_line_that_is_not_an_object_is_unusable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path,
) -> None:
    source = jsonl(tmp_path / "events.jsonl", "[1, 2]")
    code, _, err = run(capsys, "--contracts", str(contracts_dir), source)
    assert code == 2
    assert err == f"accord: error: {source}:1: expected a JSON object (a CloudEvent), got list\n"


def test_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contracts_dir: Path
) -> None:
    missing = tmp_path / "nope.jsonl"
    code, out, err = run(capsys, "--contracts", str(contracts_dir), str(missing))
    assert (code, out) == (2, [])
    assert err == (
        f"accord: error: {missing}: no such file (expected a .jsonl file of CloudEvents)\n"
    )


def test_bad_contracts_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = jsonl(tmp_path / "events.jsonl", {})
    code, out, err = run(capsys, "--contracts", str(tmp_path / "nowhere"), source)
    assert (code, out) == (2, [])
    assert err.startswith(f"accord: error: {tmp_path / 'nowhere'}: no such contracts directory")


def test_malformed_schema_is_unusable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "contracts" / "schemas" / "a"
    folder.mkdir(parents=True)
    (folder / "v1.json").write_text('{"type": "object",}')
    source = jsonl(tmp_path / "events.jsonl", {})
    code, _, err = run(capsys, "--contracts", str(tmp_path / "contracts"), source)
    assert code == 2
    assert err.startswith(f"accord: error: {folder / 'v1.json'}:1:19: not valid JSON (")


def test_bad_kafka_url_is_unusable_input(
    capsys: pytest.CaptureFixture[str], contracts_dir: Path
) -> None:
    code, _, err = run(capsys, "--contracts", str(contracts_dir), "kafka://host:9092")
    assert code == 2
    assert "is not a Kafka source: use kafka://HOST:PORT/TOPIC" in err


def test_no_source_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["schema", "validate"])
    assert info.value.code == 2
    assert "the following arguments are required: SOURCE" in capsys.readouterr().err
