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
from accord.events import make_event
from accord.report import write_reports

pytestmark = pytest.mark.integration

HAND_BUILT = Path(__file__).parents[2] / "unit" / "report" / "data" / "consistent.json"
WIDTH, HEIGHT = 1200, 1600
#: Header background of the verdict (report/_html.py CSS): red when not consistent.
HEADER_RGB = {"bad": (0xC5, 0x30, 0x30), "ok": (0x2F, 0x85, 0x5A)}


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

    run_chromium([f"--screenshot={screenshot}", f"--window-size={WIDTH},{HEIGHT}", page], tmp_path)
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

    dom = run_chromium(["--dump-dom", page], tmp_path)
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
