from __future__ import annotations

import io
from pathlib import Path

import pytest

from accord.cli import main
from accord.errors import UsageError
from accord.events import Envelope
from accord.sources import JsonlSource, KafkaSource, open_source, parse_kafka_url

pytestmark = pytest.mark.unit


def test_jsonl_source_yields_events_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "a"}\n\n{"id": "b"}\n')
    got = [(event["id"], str(where)) for event, where in JsonlSource(path)]
    assert got == [("a", f"{path}:1"), ("b", f"{path}:3")]


def test_jsonl_source_names_the_line_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n')
    with pytest.raises(UsageError, match=rf"^{path}:2: not JSON"):
        list(JsonlSource(path))


def test_jsonl_source_wants_objects() -> None:
    with pytest.raises(UsageError, match=r"^stdin:1: expected a JSON object .* got list"):
        list(JsonlSource("-", stream=io.BytesIO(b"[1, 2]\n")))


def test_envelopes_hold_the_four_attributes_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(
        b'{"type": "t", "time": "2026-01-01T00:00:00Z", "partitionkey": "k", "id": "a", '
        b'"data": {"deep": [1, {"x": null}]}}\n'
        b"\n  \t\r\n"
        b'{"id": 7, "partitionkey": 42, "extra": "\\u00e9"}\r\n'
        b'{"type": "last", "time": null}'  # no newline at the end
    )
    got: list[tuple[Envelope, int]] = []
    JsonlSource(path).feed(got.extend, envelope=Envelope)
    assert [(e.type, e.time, e.partitionkey, e.id, n) for e, n in got] == [
        ("t", "2026-01-01T00:00:00Z", "k", "a", 1),
        (None, None, 42, 7, 4),
        ("last", None, None, None, 5),
    ]
    assert got[0][0].get("data") is None, "data is skipped, not decoded"
    assert got[1][0].get("type", "event") == "event"
    chunks = list(JsonlSource(path).chunks(2, envelope=Envelope))
    assert [[n for _, n in chunk] for chunk in chunks] == [[1, 4], [5]]
    stdin = JsonlSource("-", stream=io.BytesIO(path.read_bytes()))
    assert [[n for _, n in c] for c in stdin.chunks(10, envelope=Envelope)] == [[1, 4, 5]]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"id": ', "not JSON (unexpected end of data"),
        (b"\xff\xfe{}", "not JSON (str is not valid UTF-8"),
        (b'{"type": "a\xff"}', "not JSON (str is not valid UTF-8"),
        (b'{"id": "a"} x', "not JSON (unexpected content after document"),
        (b"\x0c", "not JSON"),  # form feed: not JSON whitespace, so not a blank line
        (b"[1, 2]", "expected a JSON object (a CloudEvent), got list"),
        (b'"text"', "expected a JSON object (a CloudEvent), got str"),
    ],
)
@pytest.mark.parametrize("how", ["feed", "chunks", "stdin"])
def test_envelopes_name_a_bad_line_as_whole_events_do(
    tmp_path: Path, line: bytes, message: str, how: str
) -> None:
    data = b'{"id": "a"}\n\n' + line + b'\n{"id": "b"}\n'
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    name = "stdin" if how == "stdin" else str(path)
    with pytest.raises(UsageError) as whole:
        list(JsonlSource(path).iter_dicts())
    assert str(whole.value).startswith(f"{path}:3: {message}")
    with pytest.raises(UsageError) as envelope:
        if how == "chunks":
            list(JsonlSource(path).chunks(2, envelope=Envelope))
        else:
            source = (
                JsonlSource("-", stream=io.BytesIO(data)) if how == "stdin" else (JsonlSource(path))
            )
            source.feed(list, envelope=Envelope)
    assert str(envelope.value) == str(whole.value).replace(str(path), name, 1)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        open_source(str(tmp_path / "nope.jsonl"))


def test_kafka_urls() -> None:
    assert parse_kafka_url("kafka://127.0.0.1:9092/order,invoice") == (
        "127.0.0.1:9092",
        ["order", "invoice"],
    )
    source = open_source("kafka://h:1/t")
    assert isinstance(source, KafkaSource) and source.topics == ["t"]
    for bad in ("kafka://h:1", "kafka:///t", "kafka://h:1/"):
        with pytest.raises(UsageError, match="kafka://HOST:PORT/TOPIC"):
            parse_kafka_url(bad)


def test_cli_usage_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("accord: error: argument COMMAND: invalid choice: 'no-such-command'")


def test_cli_without_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: accord" in capsys.readouterr().err


def test_broker_start_on_a_port_in_use_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["broker", "start", "--port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"accord: error: --port {port}: 127.0.0.1:{port} is in use; choose another port, "
        "or --port 0 for a free one\n"
    )


def test_demo_with_a_kafka_address_without_port_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--kafka", "localhost"]) == 2
    assert capsys.readouterr().err.endswith(
        "accord: error: 'localhost' is not a bootstrap address: use HOST:PORT[,HOST:PORT], "
        "e.g. 127.0.0.1:9092\n"
    )


def test_an_unknown_option_names_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schema", "validate", "--bogus", "x.jsonl"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        "accord: error: unrecognized arguments: --bogus (see accord schema validate --help)\n"
    )


def test_a_line_that_is_not_utf8_is_reported_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "a"}\n   \n\xff\xfe{}\n{"id": "b"}\n')
    with pytest.raises(UsageError, match=rf"^{path}:3: not JSON \(str is not valid UTF-8"):
        list(JsonlSource(path))
    source = JsonlSource(path)
    with pytest.raises(UsageError, match=rf"^{path}:3: not JSON"):
        source.feed(list)
    with pytest.raises(UsageError, match=rf"^{path}:3: not JSON"):
        list(JsonlSource(path).chunks(2))


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=rf"^{tmp_path}: is a directory"):
        JsonlSource(tmp_path)
