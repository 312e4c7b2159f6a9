"""report.html in a real headless Chromium: it renders, shows its plots, and looks right.

The screenshot lands in the test's ``tmp_path`` and, when ``ACCORD_ARTIFACTS`` is set, in
``$ACCORD_ARTIFACTS/report/`` so CI keeps it. The report comes from the real consistency
engine fed with synthetic events (every outcome), so the page is checked on the shape the
engine really produces, not only on hand-built dicts.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from accord.consistency import ConsistencyEngine, Expectation, regressions
from accord.events import DEAD_LETTER_TYPE, dead_letter_event, from_kafka, make_event, to_kafka
from accord.report import write_reports

pytestmark = pytest.mark.integration

HAND_BUILT = Path(__file__).parents[2] / "unit" / "report" / "data" / "consistent.json"
WIDTH, HEIGHT = 1200, 1600
#: Header background of the verdict (report/_html.py CSS): red when not consistent.
HEADER_RGB = {
    "bad": (0xC5, 0x30, 0x30),
    "ok": (0x2F, 0x85, 0x5A),
    "undecided": (0x97, 0x5A, 0x16),
}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no headless Chromium on PATH: install it with "
        "`apt-get update && apt-get install -y chromium` to check report.html in a browser"
    )


def run_chromium(args: list[str], tmp_path: Path, *, timeout: float = 120) -> str:
    """Run headless Chromium with a fresh profile; kill its whole process group afterwards."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stdout, stderr = "", f"chromium did not finish within {timeout}s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # renderer and GPU helpers, if any linger
        process.wait()
    assert process.returncode in (0, -signal.SIGKILL), stderr[-2000:]
    return stdout


def engine_report() -> dict[str, Any]:
    """A realistic report from the real engine: 300 orders with every kind of violation."""
    rng = random.Random(4)
    start = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    engine = ConsistencyEngine(
        trigger="order.accepted",
        expectations=[Expectation("invoice.created", 60.0), Expectation("delivery.created", 30.0)],
        agree=[("delivery.created", "/data/zip", "/data/zip")],
    )
    events = []
    for n in range(300):
        key = f"order-{n:04d}"
        t0 = start + timedelta(seconds=n * 2)
        events.append(make_event("order.accepted", "/t", {"zip": "10115"}, key=key, time=t0))
        if n % 97 == 5:
            events.append(make_event("order.accepted", "/t", {"zip": "10115"}, key=key, time=t0))
        if n % 61 != 7:  # missing invoices
            late = n % 23 == 0
            latency = rng.uniform(65, 400) if late else rng.lognormvariate(-0.7, 1.1)
            invoice = make_event("invoice.created", "/t", {}, key=key, time=t0 + timedelta(
                seconds=latency))  # fmt: skip
            events += [invoice, invoice] if n % 50 == 3 else [invoice]  # redelivery
        zip_code = "10117" if n % 83 == 11 else "10115"
        delivery_at = t0 + timedelta(seconds=rng.lognormvariate(-2, 0.8))
        events.append(
            make_event("delivery.created", "/t", {"zip": zip_code}, key=key, time=delivery_at)
        )
        if n % 71 == 9:  # a second, distinct delivery
            events.append(
                make_event("delivery.created", "/t", {"zip": zip_code}, key=key, time=delivery_at)
            )
    events.append(make_event("invoice.created", "/t", {}, key="no-such-order", time=start))
    rng.shuffle(events)  # out-of-order arrival must not matter
    for event in events:
        engine.add(event)
    report = engine.report()
    baseline = json.loads(json.dumps(report))
    baseline["expectations"]["invoice.created"].update(late=0)
    baseline["expectations"]["invoice.created"]["latency_s"]["p99"] = 2.5
    report["regressions"] = regressions(report, baseline)
    return report


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB(A) PNG with the standard library: width, height, rows of pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), f"unexpected PNG format depth={depth} color={color}"
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line) if bpp == 3 else bytes(x for j, x in enumerate(line) if j % 4 != 3))
        previous = line
    return width, height, rows


class PlotFinder(HTMLParser):
    """The SVG plots (and their bars) in a DOM that Chromium serialised."""

    def __init__(self) -> None:
        super().__init__()
        self.plots: list[str] = []
        self.bars = 0
        self.limit_lines = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "svg" and "plot" in classes:
            self.plots.append(classes[-1])
        elif tag == "rect" and "bar" in classes:
            self.bars += 1
        elif tag == "line" and "limit" in classes:
            self.limit_lines += 1


@pytest.fixture
def artifacts() -> Iterator[Path | None]:
    target = os.environ.get("ACCORD_ARTIFACTS")
    if not target:
        yield None
        return
    path = Path(target) / "report"
    path.mkdir(parents=True, exist_ok=True)
    yield path


@pytest.mark.parametrize("kind", ["engine", "consistent"])
def test_report_html_in_headless_chromium(
    kind: str, tmp_path: Path, artifacts: Path | None
) -> None:
    chromium()
    report = engine_report() if kind == "engine" else json.loads(HAND_BUILT.read_text("utf-8"))
    expected_plots = len(report["expectations"])
    write_reports(report, tmp_path / "reports")
    page = (tmp_path / "reports" / "report.html").resolve().as_uri()
    screenshot = tmp_path / f"report-{kind}.png"

    dom = run_chromium(
        [f"--screenshot={screenshot}", "--dump-dom", f"--window-size={WIDTH},{HEIGHT}", page],
        tmp_path,
    )
    if artifacts is not None:
        shutil.copy(screenshot, artifacts / screenshot.name)
        shutil.copytree(tmp_path / "reports", artifacts / f"reports-{kind}", dirs_exist_ok=True)

    assert screenshot.stat().st_size > 20_000, "screenshot is suspiciously small"
    width, height, rows = png_pixels(screenshot)
    assert (width, height) == (WIDTH, HEIGHT)
    # The verdict header is painted in its colour: the CSS was applied.
    header = HEADER_RGB["ok" if report["consistent"] else "bad"]
    assert tuple(rows[8][30:33]) == header
    # Non-trivial: many distinct colours (text, plots), not a blank or error page.
    colours = {rows[y][x : x + 3] for y in range(0, HEIGHT, 7) for x in range(0, WIDTH * 3, 21)}
    assert len(colours) > 50

    finder = PlotFinder()
    finder.feed(dom)
    assert finder.plots.count("histogram") == expected_plots
    # one "no violations" message, not an empty timeline beside it
    assert finder.plots.count("timeline") == (1 if kind == "engine" else 0)
    assert finder.plots.count("staircase") == 1
    assert 'id="origin"' in dom and "pytest" in dom  # where the report came from
    if kind == "consistent":
        assert dom.lower().count("no violations") == 1
    assert finder.limit_lines == expected_plots
    assert finder.bars >= expected_plots  # every histogram has data in both reports
    if kind == "engine":
        assert not report["consistent"]
        assert {v["kind"] for v in report["violations"]} >= {
            "late", "missing", "duplicated", "orphaned", "mismatched", "duplicate_trigger",
        }  # fmt: skip
        assert "Regressions against the baseline (2)" in dom


def undecided_report() -> dict[str, Any]:
    """The real engine over an open window with a typo in an expected type: the invoices
    were read as ``invoice.created``, the audit expects ``invoice.creatd``, so all of those
    are pending: nothing decided, with a warning naming the types read."""
    start = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    engine = ConsistencyEngine(
        trigger="order.accepted",
        expectations=[Expectation("invoice.creatd", 60.0), Expectation("delivery.created", 30.0)],
    )
    for n in range(40):
        key, t0 = f"order-{n:04d}", start + timedelta(seconds=n)
        engine.add(make_event("order.accepted", "/t", {}, key=key, time=t0))
        engine.add(make_event("invoice.created", "/t", {}, key=key, time=t0 + timedelta(0, 1)))
        if n < 30:
            engine.add(make_event("delivery.created", "/t", {}, key=key,
                                  time=t0 + timedelta(seconds=0.3)))  # fmt: skip
    return engine.report()


def pending_report() -> dict[str, Any]:
    """The real engine over an open window: pending invoices, dead-lettered triggers (one
    dead letter unreadable), accepted orders never published (untriggered)."""
    start = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    engine = ConsistencyEngine(
        trigger="order.accepted",
        expectations=[Expectation("invoice.created", 60.0), Expectation("delivery.created", 30.0)],
    )
    accepted = {}
    for n in range(120):
        key, t0 = f"order-{n:04d}", start + timedelta(seconds=n)
        accepted[key] = t0
        if n % 40 == 13:
            continue  # accepted by the order service, never published
        order = make_event("order.accepted", "/t", {}, key=key, time=t0)
        engine.add(order)
        if n % 30 == 7:
            message = to_kafka(order)
            headers = [*message.headers, ("accord-error", b"UnprocessableEvent: /data/lines"),
                       ("accord-origin", f"order/0@{n}".encode())]  # fmt: skip
            engine.add(dead_letter_event(from_kafka(message.key, message.value, headers),
                                         f"order.dlq/0@{n}"))  # fmt: skip
            continue
        if n < 100:  # the last 20 invoices are still within their limit: pending
            latency = timedelta(seconds=0.4 + (n % 7) / 3)
            engine.add(make_event("invoice.created", "/t", {}, key=key, time=t0 + latency))
        engine.add(make_event("delivery.created", "/t", {}, key=key,
                              time=t0 + timedelta(seconds=0.2)))  # fmt: skip
    unreadable = make_event(DEAD_LETTER_TYPE, "/dlq", {}, key="?", time=start)
    unreadable["data"] = "not a dead letter"
    engine.add(unreadable)
    return engine.report(accepted=accepted)


@pytest.mark.parametrize("kind", ["undecided", "pending"])
def test_undecided_and_pending_reports_in_headless_chromium(
    kind: str, tmp_path: Path, artifacts: Path | None
) -> None:
    chromium()
    report = undecided_report() if kind == "undecided" else pending_report()
    write_reports(report, tmp_path / "reports", formats="html")
    page = (tmp_path / "reports" / "report.html").resolve().as_uri()
    screenshot = tmp_path / f"report-{kind}.png"
    dom = run_chromium(
        [f"--screenshot={screenshot}", "--dump-dom", f"--window-size={WIDTH},{HEIGHT}", page],
        tmp_path,
    )
    if artifacts is not None:
        shutil.copy(screenshot, artifacts / screenshot.name)

    width, height, rows = png_pixels(screenshot)
    assert (width, height) == (WIDTH, HEIGHT)
    text = " ".join(" ".join(TextOf.of(dom)).split())
    if kind == "undecided":
        assert report["verdict"] == "nothing_decided"
        # amber, not the green of a pass nor the red of violations
        assert tuple(rows[8][30:33]) == HEADER_RGB["undecided"]
        assert "NOTHING DECIDED all 40 invoice.creatd outcomes are pending" in text
        assert "warning no event of type 'invoice.creatd'; read: order.accepted, " in text
        assert "pending 40 invoice.creatd, 10 delivery.created (50 not decided, not " in text
        assert "No key decided yet, so no line or figure: invoice.creatd." in text
        assert "No violations, but nothing was decided (see above)." in text
    else:
        assert report["verdict"] == "not_consistent"
        assert tuple(rows[8][30:33]) == HEADER_RGB["bad"]
        assert "(5 missing, 4 dead_lettered, 3 untriggered) over 117 order.accepted" in text
        assert "warning 1 dead-letter events could not be read" in text
        assert "pending 22 invoice.created, 1 delivery.created (23 not decided, not " in text
        assert "the earliest becomes missing at 2026-11-26T14:02:07.000000Z" in text
        finder = PlotFinder()
        finder.feed(dom)
        assert finder.plots.count("timeline") == 1
        for kind_name in ("dead_lettered", "untriggered"):
            assert f"{kind_name} (" in text  # the timeline's legend
    assert "window open: it ends at the latest event time read" in text


class TextOf(HTMLParser):
    """The visible text of a DOM, in order (without the style sheet)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def of(cls, dom: str) -> list[str]:
        parser = cls()
        parser.feed(dom)
        return parser.parts
