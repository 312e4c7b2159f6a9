"""``accord audit`` and ``accord report merge`` through ``accord.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from accord.cli import main

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
EXPECT = ["--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--expect", f"{DELIVERY}=1m"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # audit reads ./pyproject.toml: never the repository's own
    monkeypatch.chdir(tmp_path)


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return str(path)


def test_consistent_input_exits_0_and_prints_the_table(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev, T = kit.ev, kit.T
    source = write_jsonl(tmp_path / "ok.jsonl", [
        ev(ORDER, "o", "42", T("00:00:00")),
        ev(INVOICE, "i", "42", T("00:00:01")),
        ev(DELIVERY, "d", "42", T("00:00:02")),
    ])
    assert main(["audit", source, *EXPECT]) == 0
    out = capsys.readouterr().out
    assert "invoice.created" in out and "delivery.created" in out
    assert "CONSISTENT" in out and "NOT CONSISTENT" not in out


def test_violations_exit_1_and_reports_are_written(
    scenario: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "all.jsonl", scenario)
    out_dir = tmp_path / "reports"
    code = main([
        "audit", source, *EXPECT,
        "--agree", f"{DELIVERY}:/data/address=/data/shippingAddress",
        "--report-dir", str(out_dir), "--format", "json,md",
    ])
    assert code == 1
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json", "report.md"]
    report = json.loads((out_dir / "report.json").read_text())
    assert report["triggers"] == 9 and report["duplicate_triggers"] == 1
    assert report["expectations"][DELIVERY]["mismatched"] == 1
    assert report["expectations"][INVOICE]["late"] == 1
    assert "latencies_s" not in report["expectations"][INVOICE]
    out = capsys.readouterr().out
    assert "NOT CONSISTENT" in out and "key=late" in out


def test_two_sources_are_one_stream(kit: Any, tmp_path: Path) -> None:
    ev, T = kit.ev, kit.T
    orders = write_jsonl(tmp_path / "orders.jsonl", [ev(ORDER, "o", "1", T("00:00:00"))])
    rest = write_jsonl(tmp_path / "rest.jsonl", [
        ev(INVOICE, "i", "1", T("00:00:01")), ev(DELIVERY, "d", "1", T("00:00:01")),
    ])
    assert main(["audit", rest, orders, *EXPECT, "--format", "json"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["expectations"][INVOICE]["ok"] == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{not json", "bad.jsonl:3: not JSON"),
        (b'["a list"]', "bad.jsonl:3: expected a JSON object"),
        (b'{"type": "order.accepted", "id": "x", "partitionkey": "k"}',
         "bad.jsonl:3: order.accepted 'x' has no 'time' attribute"),
        (b'{"type": "order.accepted", "id": "x", "partitionkey": "k", "time": "01/02/2026"}',
         "bad.jsonl:3: time '01/02/2026' is not an RFC 3339 time"),
        (b'{"type": "order.accepted", "id": "x", "partitionkey": "k", '
         b'"time": "2026-01-01T00:00:00"}', "bad.jsonl:3: order.accepted 'x': time"),
        (b'{"type": "invoice.created", "id": "x", "time": "2026-01-01T00:00:00Z"}',
         "bad.jsonl:3: invoice.created 'x' has no 'partitionkey' attribute"),
    ],
)
def test_bad_input_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: bytes, message: str
) -> None:
    good = (
        b'{"type": "order.accepted", "id": "o", "partitionkey": "k", '
        b'"time": "2026-01-01T00:00:00Z"}'
    )
    path = tmp_path / "bad.jsonl"
    path.write_bytes(good + b"\n\n" + line + b"\n")
    assert main(["audit", str(path), *EXPECT]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accord: error: ")
    assert message in err
    assert err.count("\n") == 1, "one line, no traceback"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expect", "invoice.created"], "expected TYPE=DURATION"),
        (["--expect", "invoice.created=soon"], "is not a duration"),
        (["--key", "invoice.created"], "expected TYPE=POINTER"),
        (["--key", "invoice.created=data/orderId"], "not a JSON pointer"),
        (["--agree", "delivery.created=/x"], "expected TYPE:/POINTER=/TRIGGER_POINTER"),
        (["--until", "tomorrow"], "--until: time 'tomorrow'"),
        (
            ["--format", "json,pdf"],
            "--format: unknown report format 'pdf': use one or more of json, junit, html, md",
        ),
        (["--baseline", "nope.json"], "nope.json: no such file"),
        (["--follow"], "applies to kafka:// and atom+http:// sources only"),
    ],
)
def test_bad_options_exit_2(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    source = write_jsonl(tmp_path / "e.jsonl", [kit.ev(ORDER, "o", "k", kit.T("00:00:00"))])
    assert main(["audit", source, *EXPECT, *args]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_missing_trigger_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "nope.jsonl", *EXPECT]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    assert main(["audit", "-", "--expect", "invoice.created=1s"]) == 2
    assert "--trigger" in capsys.readouterr().err


def test_key_pointer_option(kit: Any, tmp_path: Path) -> None:
    ev, T = kit.ev, kit.T
    source = write_jsonl(tmp_path / "k.jsonl", [
        ev(ORDER, "o", "42", T("00:00:00")),
        ev(INVOICE, "i", None, T("00:00:01"), orderId="42"),
    ])
    args = ["audit", source, "--trigger", ORDER, "--expect", f"{INVOICE}=60s"]
    assert main([*args, "--format", "json"]) == 2  # the invoice has no partitionkey
    assert main([*args, "--key", f"{INVOICE}=/data/orderId", "--format", "json"]) == 0


def test_until_makes_a_recent_trigger_missing(kit: Any, tmp_path: Path) -> None:
    ev, T = kit.ev, kit.T
    source = write_jsonl(tmp_path / "p.jsonl", [ev(ORDER, "o", "1", T("00:00:00"))])
    args = ["audit", source, "--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--format", "json"]
    # every key pending: nothing decided (exit 1) unless allowed; pending is no violation
    assert main(args) == 1
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "nothing_decided"
    assert main([*args, "--allow-empty"]) == 0
    assert main([*args, "--until", "2026-01-01T02:01:00+02:00"]) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["expectations"][INVOICE]["missing"] == 1
    assert report["window_end"] == "2026-01-01T00:01:00.000000Z"


def test_baseline_regressions_exit_1(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev, T = kit.ev, kit.T
    fast = write_jsonl(tmp_path / "fast.jsonl", [
        ev(ORDER, "o", "1", T("00:00:00")), ev(INVOICE, "i", "1", T("00:00:10")),
    ])
    slow = write_jsonl(tmp_path / "slow.jsonl", [
        ev(ORDER, "o", "1", T("00:00:00")), ev(INVOICE, "i", "1", T("00:00:12")),
    ])
    base = ["--trigger", ORDER, "--expect", f"{INVOICE}=60s"]
    assert main(["audit", fast, *base, "--report-dir", "old", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["audit", slow, *base, "--baseline", "old/report.json", "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSED" in out and "p99 12s, baseline 10s" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["kind"] for r in report["regressions"]] == ["p99"]
    assert report["consistent"] is True
    assert main([
        "audit", slow, *base, "--baseline", "old/report.json", "--p99-tolerance", "25%",
    ]) == 0


def test_configuration_from_pyproject_and_cli_overrides(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev, T = kit.ev, kit.T
    write_jsonl(tmp_path / "e.jsonl", [
        ev(ORDER, "o", "1", T("00:00:00")), ev(INVOICE, "i", None, T("00:00:30"), orderId="1"),
    ])
    (tmp_path / "pyproject.toml").write_text(
        "[tool.accord.audit]\n"
        'trigger = "order.accepted"\n'
        'sources = ["e.jsonl"]\n'
        'formats = ["json", "md"]\n'
        'report-dir = "out"\n'
        'expect = { "invoice.created" = "60s" }\n'
        'key = { "invoice.created" = "/data/orderId" }\n'
    )
    assert main(["audit"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json", "report.md"]
    assert main(["audit", "--expect", f"{INVOICE}=10s"]) == 1  # CLI overrides the table
    (tmp_path / "pyproject.toml").write_text(
        "[tool.accord.audit]\n"
        'trigger = "order.accepted"\n'
        'sources = "e.jsonl"\n'
        'expect = { "invoice.created" = 60 }\n'
        'key = { "invoice.created" = "/data/orderId" }\n'
        'agree = "invoice.created:/data/orderId=/partitionkey"\n'
    )
    assert main(["audit"]) == 0  # single strings and plain seconds are accepted
    (tmp_path / "pyproject.toml").write_text("[tool.accord.audit]\ntriger = 'x'\n")
    assert main(["audit"]) == 2
    assert "unknown key(s) triger" in capsys.readouterr().err


def test_partial_reports_merge_to_the_single_run_report(
    scenario: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zlib

    def side(event: dict[str, Any]) -> int:
        return zlib.crc32(str(event.get("partitionkey")).encode()) % 2

    whole = write_jsonl(tmp_path / "whole.jsonl", scenario)
    parts = [
        write_jsonl(tmp_path / f"part{n}.jsonl", [e for e in scenario if side(e) == n])
        for n in (0, 1)
    ]
    agree = ["--agree", f"{DELIVERY}:/data/address=/data/shippingAddress"]
    assert main(["audit", whole, *EXPECT, *agree, "--report-dir", "single",
                 "--format", "json"]) == 1
    for n, part in enumerate(parts):
        assert main(["audit", part, *EXPECT, *agree, "--partial", "--report-dir", f"p{n}",
                     "--format", "json"]) == 1
    partial = json.loads((tmp_path / "p0" / "report.json").read_text())
    assert partial["partial"] is True and "latencies_s" in partial["expectations"][INVOICE]
    assert main(["report", "merge", "p0/report.json", "p1/report.json", "--report-dir", "merged",
                 "--format", "json"]) == 1
    merged = json.loads((tmp_path / "merged" / "report.json").read_text())
    single = json.loads((tmp_path / "single" / "report.json").read_text())
    assert merged.pop("merged_from") == 2
    assert merged.pop("origin")["sources"] == ["p0/report.json", "p1/report.json"]
    assert single.pop("origin")["sources"] == [whole]
    for stats in merged["expectations"].values():
        assert stats.pop("latency_exact") is True
    assert merged == single
    assert "NOT CONSISTENT" in capsys.readouterr().out
    # Without --format, a report directory gets every format.
    assert main(["report", "merge", "p0/report.json", "p1/report.json", "--report-dir", "all"]) == 1
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "junit.xml", "report.html", "report.json", "report.md"
    ]


def test_merge_of_unreadable_report_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text("{")
    assert main(["report", "merge", "bad.json"]) == 2
    assert "bad.json: not JSON" in capsys.readouterr().err


def test_stdin_source(
    kit: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    ev, T = kit.ev, kit.T
    data = b"".join(orjson.dumps(e) + b"\n" for e in [
        ev(ORDER, "o", "1", T("00:00:00")), ev(INVOICE, "i", "1", T("00:02:00")),
    ])
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["audit", "-", "--trigger", ORDER, "--expect", f"{INVOICE}=60s"]) == 1
    assert "key=1" in capsys.readouterr().out


def _orders_with_invoices(kit: Any, part: str, delays_ms: list[int]) -> list[dict[str, Any]]:
    events = []
    for n, delay in enumerate(delays_ms):
        key = f"{part}-{n}"
        events.append(kit.ev(ORDER, f"o{key}", key, kit.T("00:00:00")))
        events.append(kit.ev(INVOICE, f"i{key}", key, kit.T(f"00:00:00.{delay:03d}")))
    return events


def test_merging_one_ordinary_report_keeps_its_figures_exactly(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # p50 150ms lies in the histogram bucket [126ms, 158ms): an estimate would read 141ms.
    source = write_jsonl(tmp_path / "one.jsonl", _orders_with_invoices(kit, "a", [100, 150, 200]))
    expect = ["--trigger", ORDER, "--expect", f"{INVOICE}=60s"]
    assert main(["audit", source, *expect, "--report-dir", "one", "--format", "json"]) == 0
    capsys.readouterr()
    merge = ["report", "merge", "one/report.json", "--report-dir", "m", "--format", "json"]
    assert main(merge) == 0
    out = capsys.readouterr().out
    merged = json.loads((tmp_path / "m" / "report.json").read_text())
    single = json.loads((tmp_path / "one" / "report.json").read_text())
    stats = merged["expectations"][INVOICE]
    assert stats["latency_s"] == single["expectations"][INVOICE]["latency_s"]
    assert stats["latency_s"]["p50"] == 0.15
    assert stats["latency_exact"] is True and "latency_error" not in stats
    assert stats["histogram"] == single["expectations"][INVOICE]["histogram"]
    row = next(line for line in out.splitlines() if line.startswith(INVOICE))
    assert row.split()[-4:] == ["150ms", "200ms", "200ms", "200ms"]
    assert "~" not in out and "estimated" not in out


def _two_ordinary_reports(kit: Any, tmp_path: Path) -> None:
    expect = ["--trigger", ORDER, "--expect", f"{INVOICE}=60s"]
    for part, delays in (("a", [100, 150]), ("b", [160, 200, 900])):
        source = write_jsonl(tmp_path / f"{part}.jsonl", _orders_with_invoices(kit, part, delays))
        assert main(["audit", source, *expect, "--report-dir", part, "--format", "json"]) == 0


def test_merging_ordinary_reports_is_exact_from_the_latencies_they_carry(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_ordinary_reports(kit, tmp_path)
    capsys.readouterr()
    assert main(["report", "merge", "a/report.json", "b/report.json", "--report-dir", "m"]) == 0
    out = capsys.readouterr().out.splitlines()
    stats = json.loads((tmp_path / "m" / "report.json").read_text())["expectations"][INVOICE]
    assert stats["latency_exact"] is True
    # exact over [100, 150, 160, 200, 900] ms
    assert (stats["latency_s"]["p50"], stats["latency_s"]["p90"]) == (0.16, 0.9)
    row = next(line for line in out if line.startswith(INVOICE))
    assert row.split()[-4:] == ["160ms", "900ms", "900ms", "900ms"]
    assert not any(line.startswith("~") for line in out)


def test_merging_reports_without_latency_counts_says_the_quantiles_are_estimates(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_ordinary_reports(kit, tmp_path)
    for part in ("a", "b"):  # reports of an older accord, or with > 4096 distinct latencies
        path = tmp_path / part / "report.json"
        report = json.loads(path.read_text())
        del report["expectations"][INVOICE]["latency_counts"]
        path.write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["report", "merge", "a/report.json", "b/report.json", "--report-dir", "m"]) == 0
    out = capsys.readouterr().out.splitlines()
    stats = json.loads((tmp_path / "m" / "report.json").read_text())["expectations"][INVOICE]
    assert stats["latency_exact"] is False
    # exact p50 over [100, 150, 160, 200, 900] ms is 160ms; the estimate is the middle of
    # its bucket, within the stated 12.3%
    assert stats["latency_s"]["p50"] == 0.177828 and abs(0.177828 / 0.16 - 1) < 0.123
    row = next(line for line in out if line.startswith(INVOICE))
    assert row.split()[-4:] == ["~178ms", "~891ms", "~891ms", "900ms"]
    (note,) = [line for line in out if line.startswith("~ estimated")]
    assert note == (
        "~ estimated: p50/p90/p99 of invoice.created: quantiles estimated from histograms "
        "(10 log-spaced buckets per decade): within 12.3% of the true value, or within 0.5 ms "
        "below 1 ms; max is exact (merge partial reports of accord audit --partial for exact "
        "figures)"
    )
    markdown = (tmp_path / "m" / "report.md").read_text()
    assert "~178ms" in markdown and note in markdown
    html = (tmp_path / "m" / "report.html").read_text()
    assert "~178ms" in html and 'id="estimates"' in html
    junit = (tmp_path / "m" / "junit.xml").read_text()
    assert 'name="latency_estimate" value="quantiles estimated from histograms' in junit
