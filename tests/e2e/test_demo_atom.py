"""``accord demo --transport atom`` and ``accord up --transport atom`` end to end: no broker,
the three services on Atom feeds, real PostgreSQL; the served feeds pass ``accord atom check``.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from accord.consistency import eventually
from accord.system import OrderClient
from accord.testing import DEFAULT_ADMIN_URL

pytestmark = pytest.mark.e2e

ACCORD = [sys.executable, "-m", "accord.cli"]
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_atom_demo_exits_0_with_the_same_report_and_no_broker(
    run_accord: Any, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    done = run_accord(
        "demo",
        "--transport",
        "atom",
        "--orders",
        "60",
        "--database-url",
        DEFAULT_ADMIN_URL,
        "--report-dir",
        str(report_dir),
        "--workdir",
        str(tmp_path / "work"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^orders 60 \(placed in .*\), invoices 60, deliveries 60", done.stdout, re.M)
    assert "OK: every order got its invoice and delivery within 60s" in done.stdout
    assert "broker" not in done.stderr.replace("no broker", "")  # none was started
    report = json.loads((report_dir / "report.json").read_text())
    assert report["triggers"] == 60 and report["consistent"] is True
    assert {p.name for p in report_dir.iterdir()} == {
        "report.json",
        "junit.xml",
        "report.html",
        "report.md",
        "events.jsonl",
    }
    events = report_dir / "events.jsonl"
    assert len(events.read_text().splitlines()) == 180  # a feed delivers each event once
    checked = run_accord("schema", "validate", str(events), "--contracts", str(CONTRACTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ports = {int(p) for p in re.findall(r"on port (\d+)", done.stderr)}
    assert len(ports) == 3, done.stderr
    assert not [port for port in ports if listening(port)]


def read_until(stream: Any, pattern: str, seen: list[str]) -> re.Match[str]:
    """Read lines until one matches; the process's own timeout bounds this (see callers)."""
    for line in iter(stream.readline, ""):
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError("process ended before printing " + pattern + ":\n" + "".join(seen))


def test_up_serves_feeds_that_pass_the_conformance_check(run_accord: Any, tmp_path: Path) -> None:
    up = subprocess.Popen(
        [*ACCORD, "up", "--transport", "atom", "--workdir", str(tmp_path / "work")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        urls = {}
        for _ in range(3):
            found = read_until(up.stdout, r"^(\w+) +(http://\S+)", seen)
            urls[found.group(1)] = found.group(2)
        feeds = [read_until(up.stdout, r"^feed +(\S+)", seen).group(1) for _ in range(3)]
        assert "bootstrap" not in "".join(seen)
        client = OrderClient(urls["order"], seed=3)
        client.load_catalogue()
        for _ in range(55):  # past one page of 50: an archive page and a head on every feed
            client.place()
        client.close()

        def all_processed() -> bool:
            for name in ("shipping", "invoicing"):
                path = "/deliveries" if name == "shipping" else "/invoices"
                page = requests.get(urls[name] + path, params={"size": 1}, timeout=5).json()
                assert page["total"] == 55, (name, page["total"])
            return True

        eventually(all_processed, within="30s")
        for feed in feeds:
            checked = run_accord("atom", "check", feed, "--contracts", str(CONTRACTS))
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert checked.stdout.splitlines()[-1].startswith("OK: 2 pages, 55 entries, 55 events")
        links_only = run_accord(
            "atom", "check", "--links-only", feeds[-1], "--contracts", str(CONTRACTS)
        )
        assert links_only.returncode == 0, links_only.stdout + links_only.stderr
        up.send_signal(signal.SIGINT)
        _, stderr = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 0, stderr
    assert not [u for u in urls.values() if listening(int(u.rsplit(":", 1)[1]))]
