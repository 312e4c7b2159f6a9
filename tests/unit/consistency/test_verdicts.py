"""Verdicts a CI can trust (issue 12): an audit never goes green by accident.

Each case is run the way a user runs it (``accord audit ...``) and checked on the exact
lines printed, the exit code, and what report.json and junit.xml say.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson
import pytest

from accord.cli import main
from accord.consistency import ConsistencyEngine, Expectation
from accord.events import DEAD_LETTER_TYPE, dead_letter_event, from_kafka, to_kafka

pytestmark = pytest.mark.unit

ORDER, INVOICE, DELIVERY = "order.accepted", "invoice.created", "delivery.created"
EXPECT = ["--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--expect", f"{DELIVERY}=60s"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # audit reads ./pyproject.toml: never the repository's own


def write_jsonl(path: Path, events: list[Any]) -> str:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return str(path)


def demo_like(kit: Any, orders: int = 3, *, invoices: bool = True) -> list[dict[str, Any]]:
    """Like the demo's events.jsonl: each order invoiced and shipped a second or two later;
    the last event is seconds after the last order (far less than the 60 s limit)."""
    ev, T = kit.ev, kit.T
    out = []
    for n in range(orders):
        out.append(ev(ORDER, f"o{n}", f"k{n}", T(f"00:00:0{n}")))
        if invoices:
            out.append(ev(INVOICE, f"i{n}", f"k{n}", T(f"00:00:0{n + 1}")))
        out.append(ev(DELIVERY, f"d{n}", f"k{n}", T(f"00:00:0{n + 2}")))
    return out


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, pytest.LineMatcher]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, pytest.LineMatcher((captured.out + captured.err).splitlines())


def test_deleted_invoices_are_nothing_decided_and_missing_in_a_closed_window(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit, invoices=False))
    code, out = run([source, *EXPECT, "--format", "json,junit"], capsys)
    assert code == 1
    out.fnmatch_lines([
        "invoice.created      60s   0     0        0        3 *",
        "warning: no event of type 'invoice.created'; read: order.accepted, delivery.created",
        "pending: 3 invoice.created (3 not decided, not violations): their limit had not "
        "passed at the window end 2026-01-01T00:00:04.000000Z; the earliest becomes missing "
        "at 2026-01-01T00:01:00.000000Z. If the history is finished, audit with --complete; "
        "--fail-on-pending fails on them",
        "NOTHING DECIDED: all 3 invoice.created outcomes are pending: the window ends at "
        "2026-01-01T00:00:04.000000Z, before the earliest deadline 2026-01-01T00:01:00.000000Z"
        " (if the history is finished, audit it with --complete)",
    ])
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["verdict"], report["consistent"]) == ("nothing_decided", False)
    assert report["warnings"][0]["kind"] == "unseen_type"
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    failure = suite.find("testcase[@name='order.accepted decided']/failure")
    assert failure is not None and failure.get("message", "").startswith("NOTHING DECIDED: ")
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["warning.1"] == (
        "no event of type 'invoice.created'; read: order.accepted, delivery.created"
    )
    assert props["verdict"] == "nothing_decided"
    system_out = suite.find("system-out")
    assert system_out is not None and "warning: no event of type" in (system_out.text or "")

    # The file is finished: --complete closes the window, the invoices are missing.
    code, out = run([source, *EXPECT, "--complete", "--format", "json"], capsys)
    assert code == 1
    out.fnmatch_lines([
        "invoice.created      60s   0     0        3        0 *",
        "  missing  invoice.created  key=k0  no invoice.created by the end of the history "
        "(order.accepted at 2026-01-01T00:00:00.000000Z, limit 60s)",
        "NOT CONSISTENT: 3 violations (3 missing) over 3 order.accepted triggers",
    ])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is True and report["verdict"] == "not_consistent"


def test_a_typo_in_an_expected_type_names_the_types_read(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit))
    code, out = run(
        [source, "--trigger", ORDER, "--expect", "invoice.creatd=60s",
         "--expect", f"{DELIVERY}=60s", "--key", "invoce.created=/data/orderId"],
        capsys,
    )
    assert code == 1
    out.fnmatch_lines([
        "warning: no event of type 'invoice.creatd'; "
        "read: order.accepted, delivery.created, invoice.created",
        "warning: no event of type 'invoce.created'; "
        "read: order.accepted, delivery.created, invoice.created",
        "NOTHING DECIDED: all 3 invoice.creatd outcomes are pending: *",
    ])
    # With a window past the deadlines the typo is 3 missing, still with the warning.
    code, out = run([source, "--trigger", ORDER, "--expect", "invoice.creatd=1s"], capsys)
    assert code == 1
    out.fnmatch_lines([
        "warning: no event of type 'invoice.creatd'; *",
        "NOT CONSISTENT: 3 violations (3 missing) over 3 order.accepted triggers",
    ])


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ([], "no order.accepted event among 0 events read"),
        ([{"foo": 1}, {"foo": 2}],
         "no order.accepted event among 2 events read (read: 2 events without a type)"),
    ],
)
def test_no_trigger_is_nothing_decided_unless_allowed(
    lines: list[Any], why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    code, out = run([source, *EXPECT], capsys)
    assert code == 1
    out.fnmatch_lines([f"NOTHING DECIDED: {why}"])
    code, out = run([source, *EXPECT, "--allow-empty"], capsys)
    assert code == 0
    out.fnmatch_lines([f"NOTHING DECIDED (allowed by --allow-empty): {why}"])


def test_pending_keys_are_shown_and_fail_only_with_fail_on_pending(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev, T = kit.ev, kit.T
    events = demo_like(kit, orders=2)
    events += [ev(ORDER, "late-o", "recent", T("00:00:30")), ev("tick", "t", None, T("00:01:05"))]
    source = write_jsonl(tmp_path / "events.jsonl", events)
    code, out = run([source, *EXPECT], capsys)
    assert code == 0
    out.fnmatch_lines([
        "pending: 1 invoice.created, 1 delivery.created (2 not decided, not violations): "
        "their limit had not passed at the window end 2026-01-01T00:01:05.000000Z; the "
        "earliest becomes missing at 2026-01-01T00:01:30.000000Z. *",
        "CONSISTENT: 3 order.accepted triggers, 0 violations",
    ])
    code, out = run([source, *EXPECT, "--fail-on-pending", "--format", "junit"], capsys)
    assert code == 1
    out.fnmatch_lines(["NOT CONSISTENT: 2 pending (--fail-on-pending) over 3 order.accepted *"])
    failure = ET.parse(tmp_path / "junit.xml").getroot().find(".//failure")
    assert failure is not None and failure.get("type") == "accord.pending"


def test_config_keys_turn_the_flags_on(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit, invoices=False))
    (tmp_path / "pyproject.toml").write_text("[tool.accord.audit]\ncomplete = true\n")
    code, out = run([source, *EXPECT], capsys)
    assert code == 1
    out.fnmatch_lines(["NOT CONSISTENT: 3 violations (3 missing) *"])
    (tmp_path / "pyproject.toml").write_text('[tool.accord.audit]\ncomplete = "yes"\n')
    assert main(["audit", source, *EXPECT]) == 2
    assert "'complete' must be true or false" in capsys.readouterr().err


def test_key_mismatch_is_named(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev, T = kit.ev, kit.T
    events = []
    for n in range(3):
        events.append(ev(ORDER, f"o{n}", f"k{n}", T(f"00:00:0{n}")))
        events.append(ev(INVOICE, f"i{n}", f"c-{n}", T(f"00:00:0{n + 1}")))  # customer id
    source = write_jsonl(tmp_path / "events.jsonl", events)
    code, out = run([source, "--trigger", ORDER, "--expect", f"{INVOICE}=60s", "--complete"],
                    capsys)
    assert code == 1
    out.fnmatch_lines([
        "warning: key mismatch: 3 invoice.created events have keys no order.accepted has "
        "(e.g. 'c-0'), while 3 order.accepted keys have no invoice.created: is "
        "invoice.created keyed by another field? (name it with --key invoice.created=/POINTER)",
    ])


# -- reconciliation with the system of record (issue 11) ---------------------------------------


def test_accepted_ids_without_a_trigger_are_untriggered(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit))
    accepted = write_jsonl(tmp_path / "accepted.jsonl", [
        "k0", {"orderId": "k1"}, {"orderId": "lost-1", "acceptedAt": "2026-01-01T00:00:01Z"},
        "k2", "lost-2",
    ])
    code, out = run([source, *EXPECT, "--accepted", accepted, "--format", "json,junit"], capsys)
    assert code == 1
    out.fnmatch_lines([
        "  untriggered  order.accepted  key=lost-1  order lost-1 was accepted at "
        "2026-01-01T00:00:01.000000Z but no order.accepted with this key was read",
        "  untriggered  order.accepted  key=lost-2  order lost-2 was accepted but no "
        "order.accepted with this key was read",
        "NOT CONSISTENT: 2 violations (2 untriggered) over 3 order.accepted triggers",
    ])
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["accepted"], report["untriggered"]) == (5, 2)
    case = ET.parse(tmp_path / "junit.xml").getroot().find(".//testcase[@name='order.accepted "
                                                           "triggers']/failure")
    assert case is not None and case.get("message") == "order.accepted: 2 untriggered"


def test_bad_accepted_file_exits_2(kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit))
    (tmp_path / "accepted.jsonl").write_text('"k0"\n{"orderId": true}\n')
    assert main(["audit", source, *EXPECT, "--accepted", "accepted.jsonl"]) == 2
    assert capsys.readouterr().err.strip() == (
        "accord: error: accepted.jsonl:2: expected an order id or an object with 'orderId'"
    )


@pytest.fixture
def order_service() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 answering GET /orders with pages of the order API's
    shape (items, page, size, total; newest first); records the pages asked for."""
    ids = [f"k{n}" for n in range(3)] + ["lost"]
    asked: list[str] = []

    class Orders(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            page, size = int(query["page"][0]), int(query["size"][0])
            asked.append(f"page={page}")
            size = min(size, 2)  # a server that pages smaller than asked
            chunk = ids[page * size : (page + 1) * size]
            body = {"items": [{"orderId": i, "acceptedAt": "2026-01-01T00:00:00Z"} for i in chunk],
                    "page": page, "size": size, "total": len(ids)}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Orders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/orders", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_accepted_from_the_order_service_pages(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    order_service: tuple[str, list[str]],
) -> None:
    url, asked = order_service
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit))
    code, out = run([source, *EXPECT, "--accepted", url], capsys)
    assert code == 1
    out.fnmatch_lines([
        "  untriggered  order.accepted  key=lost  order lost was accepted at *",
        "NOT CONSISTENT: 1 violation (1 untriggered) over 3 order.accepted triggers",
    ])
    # a server that pages by 2 while asked for 500: read until every item of `total`
    assert asked == ["page=0", "page=1"]


# -- dead letters ---------------------------------------------------------------------------------


def _dead_letter(kit: Any, key: str) -> dict[str, Any]:
    message = to_kafka(kit.ev(ORDER, f"o-{key}", key, kit.T("00:00:00")))
    headers = [*message.headers, ("accord-error", b"UnprocessableEvent: /data/lines: missing"),
               ("accord-origin", b"order/0@7")]
    return dead_letter_event(from_kafka(message.key, message.value, headers), "order.dlq/0@1")


def test_a_dead_lettered_trigger_is_a_violation_at_once(kit: Any) -> None:
    engine = ConsistencyEngine(ORDER, [Expectation(INVOICE, 60.0)], lateness_s=None)
    engine.add(kit.ev(ORDER, "o-k", "k", kit.T("00:00:00")))
    dead = _dead_letter(kit, "k")
    assert dead["type"] == DEAD_LETTER_TYPE and dead["data"]["origin"] == "order/0@7"
    engine.add(dead)
    report = engine.report()
    assert report["dead_lettered"] == 1 and report["verdict"] == "not_consistent"
    (violation,) = report["violations"]
    assert violation["kind"] == "dead_lettered" and violation["key"] == "k"
    assert violation["detail"] == (
        "a consumer dead-lettered order.accepted (order/0@7): UnprocessableEvent: /data/lines: "
        "missing"
    )
    # the invoice is still pending (not missing): the dead letter decides the key
    assert report["expectations"][INVOICE]["pending"] == 1
    assert report["types_read"] == {ORDER: 1}


def test_cli_names_dead_letters_of_a_dict_source(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from accord.cli._audit import build_engine, dead_letters

    message = to_kafka(kit.ev(ORDER, "o-k", "k", kit.T("00:00:00")))
    copy = from_kafka(message.key, message.value,
                      [*message.headers, ("accord-error", b"bad shape")])
    engine = build_engine(ORDER, [f"{INVOICE}=60s"], [], [])
    engine.add_located(dead_letters([(from_kafka(message.key, message.value, message.headers),
                                      "order/0@0"), (copy, "order.dlq/0@0")]))
    assert capsys.readouterr().err == (
        "accord: dead-lettered: order.accepted key=k (order.dlq/0@0, in order.dlq/0@0): bad "
        "shape\n"
    )
    assert engine.report()["dead_lettered"] == 1


def test_markdown_heads_with_the_verdict_word(kit: Any) -> None:
    from accord.report import render_markdown

    engine = ConsistencyEngine(ORDER, [Expectation(INVOICE, 60.0)])
    for event in demo_like(kit, invoices=False):
        engine.add(event)
    text = render_markdown(engine.report())
    assert text.splitlines()[:3] == [
        "## accord consistency: NOTHING DECIDED",
        "",
        "**NOTHING DECIDED**: all 3 invoice.created outcomes are pending: the window ends at "
        "2026-01-01T00:00:04.000000Z, before the earliest deadline 2026-01-01T00:01:00.000000Z "
        "(if the history is finished, audit it with --complete)",
    ]
    assert "- `warning: no event of type 'invoice.created'; read: order.accepted, " in text
    assert "- `pending: 3 invoice.created (3 not decided, not violations): " in text
    assert render_markdown(engine.report(complete=True)).startswith(
        "## accord consistency: NOT CONSISTENT"
    )


def test_merged_partials_that_decided_nothing_exit_1_unless_allowed(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit, invoices=False))
    assert main(["audit", source, *EXPECT, "--partial", "--report-dir", "p",
                 "--format", "json"]) == 1
    capsys.readouterr()
    assert main(["report", "merge", "p/report.json"]) == 1
    assert "NOTHING DECIDED: all 3 invoice.created outcomes are pending" in capsys.readouterr().out
    assert main(["report", "merge", "p/report.json", "--allow-empty"]) == 0
    assert main(["report", "merge", "p/report.json", "--allow-empty", "--fail-on-pending"]) == 1
    # the merged window closes what the partial left pending
    assert main(["report", "merge", "p/report.json", "--until", "2026-01-01T00:05:00Z"]) == 1
    assert "NOT CONSISTENT: 3 violations (3 missing)" in capsys.readouterr().out


def test_an_unreachable_order_service_exits_2_before_reading_events(
    kit: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = write_jsonl(tmp_path / "events.jsonl", demo_like(kit))
    url = f"http://127.0.0.1:{port}/orders"
    assert main(["audit", source, *EXPECT, "--accepted", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"accord: error: --accepted {url}: ") and "\n" not in err
