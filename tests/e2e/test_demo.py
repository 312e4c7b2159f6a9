"""`accord demo` and `accord up` end to end: embedded broker, the services, real PostgreSQL.

Also: Ctrl-C and SIGTERM stop them with nothing left running.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from accord.testing import DEFAULT_ADMIN_URL

pytestmark = pytest.mark.e2e

ACCORD = [sys.executable, "-m", "accord.cli"]



def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def started_by(stderr: str) -> tuple[set[int], set[int]]:
    """Ports and pids the demo's status lines say it started (broker and services)."""
    ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", stderr)}
    pids = {int(p) for p in re.findall(r"\(pid (\d+)\)", stderr)}
    return ports, pids


def test_demo_of_200_orders_on_postgresql_exits_0_and_leaves_nothing_behind(
    run_accord: Any, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    done = run_accord(
        "demo", "--orders", "200", "--database-url", DEFAULT_ADMIN_URL,
        "--report-dir", str(report_dir), "--workdir", str(tmp_path / "work"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    counts = r"^orders 200 \(placed in .*\), invoices 200, deliveries 200"
    assert re.search(counts, done.stdout, re.M)
    assert "OK: every order got its invoice and delivery within 60s" in done.stdout
    assert re.search(r"^slowest order [0-9a-f-]{36}: \S+ after ", done.stdout, re.M)

    report = json.loads((report_dir / "report.json").read_text())
    assert report["triggers"] == 200 and report["consistent"] is True
    for kind in ("invoice.created", "delivery.created"):
        assert report["expectations"][kind]["ok"] == 200
    assert {p.name for p in report_dir.iterdir()} == {
        "report.json", "junit.xml", "report.html", "report.md", "events.jsonl"
    }

    # The run's events, kept as JSONL, validate and audit offline to the same verdict.
    events = report_dir / "events.jsonl"
    lines = events.read_text().splitlines()
    assert len(lines) >= 600  # 200 orders x (accepted, invoice, delivery), copies allowed
    checked = run_accord("schema", "validate", str(events))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    audited = run_accord(
        "audit", str(events), "--trigger", "order.accepted",
        "--expect", "invoice.created=60s", "--expect", "delivery.created=60s",
        "--format", "json", "--report-dir", str(tmp_path / "offline"),
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    offline = json.loads((tmp_path / "offline" / "report.json").read_text())
    for kind in ("invoice.created", "delivery.created"):
        assert offline["expectations"][kind]["latency_s"] == (
            report["expectations"][kind]["latency_s"]
        )

    # Everything it started is gone: processes, ports, and the databases it created.
    ports, pids = started_by(done.stderr)
    assert len(ports) == 4 and len(pids) == 4, done.stderr  # broker + three services
    assert not [port for port in ports if listening(port)]
    assert not [pid for pid in pids if alive(pid)]
    created = re.search(r"created databases (.+)", done.stderr)
    assert created is not None
    names = [n.strip() for n in created.group(1).split(",")]
    engine = create_engine(DEFAULT_ADMIN_URL)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"), {"names": names}
        ).scalars().all()
    engine.dispose()
    assert left == []


def test_demo_with_slow_invoicing_exits_1_and_names_every_late_order(
    run_accord: Any, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    # Each invoice takes 1.5 s of processing, so none can come within 1 s of its order.
    done = run_accord(
        "demo", "--orders", "5", "--rate", "5", "--invoicing-delay-ms", "1500",
        "--within", "1s", "--report-dir", str(report_dir), "--workdir", str(tmp_path / "work"),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^FAILED: \d orders? missing something, \d late \(limit 1s\)$",
                     done.stdout, re.M), done.stdout

    report = json.loads((report_dir / "report.json").read_text())
    assert report["triggers"] == 5 and report["consistent"] is False
    invoices = report["expectations"]["invoice.created"]
    assert invoices["ok"] == 0 and invoices["late"] + invoices["missing"] == 5
    late_keys = {
        v["key"] for v in report["violations"]
        if v["type"] == "invoice.created" and v["kind"] in ("late", "missing")
    }
    assert len(late_keys) == 5
    # The summary names each of them by id, as late or missing.
    named = set(re.findall(r"([0-9a-f-]{36}) \(invoice\.created", done.stdout))
    assert named == late_keys
    ports, pids = started_by(done.stderr)
    assert not [port for port in ports if listening(port)]
    assert not [pid for pid in pids if alive(pid)]


def test_demo_with_schema_enforcement_on_the_broker_exits_0(
    run_accord: Any, tmp_path: Path
) -> None:
    # The broker validates every record against the v1 schemas: the services' events pass.
    contracts = Path(__file__).resolve().parents[2] / "contracts"
    done = run_accord(
        "demo", "--orders", "20", "--enforce-schemas", "--contracts", str(contracts),
        "--report-dir", str(tmp_path / "report"), "--workdir", str(tmp_path / "work"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting the embedded broker with schema enforcement" in done.stderr
    assert sorted(p.name for p in (tmp_path / "work" / "schema-registry").iterdir()) == [
        "delivery.json", "invoice.json", "order.json"
    ]


def read_until(stream: object, pattern: str, seen: list[str]) -> re.Match[str]:
    """Read lines until one matches; the process's own timeout bounds this (see callers)."""
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError("process ended before printing " + pattern + ":\n" + "".join(seen))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_demo_stops_everything(tmp_path: Path, signum: signal.Signals) -> None:
    demo = subprocess.Popen(
        [*ACCORD, "demo", "--orders", "100000", "--rate", "20",
         "--report-dir", str(tmp_path / "report"), "--workdir", str(tmp_path / "work")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen: list[str] = []
    try:
        read_until(demo.stderr, r"placing 100000 orders", seen)
        read_until(demo.stderr, r"^orders +\d+/100000", seen)  # orders are flowing
        demo.send_signal(signum)
        _, rest = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    stderr = "".join(seen) + rest
    assert demo.returncode == 130, stderr
    assert "accord: interrupted" in stderr
    ports, pids = started_by(stderr)
    assert len(ports) == 4 and len(pids) == 4, stderr
    assert not [port for port in ports if listening(port)]
    assert not [pid for pid in pids if alive(pid)]


def test_up_serves_the_system_until_ctrl_c(tmp_path: Path) -> None:
    up = subprocess.Popen(
        [*ACCORD, "up", "--workdir", str(tmp_path / "work")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen: list[str] = []
    try:
        bootstrap = read_until(up.stdout, r"^bootstrap +(\S+)", seen).group(1)
        urls = {}
        for _ in range(3):
            found = read_until(up.stdout, r"^(\w+) +(http://\S+)", seen)
            urls[found.group(1)] = found.group(2)
        assert set(urls) == {"order", "shipping", "invoicing"}
        for url in urls.values():
            assert requests.get(url + "/health", timeout=5).json()["status"] == "ok"
        up.send_signal(signal.SIGINT)
        _, stderr = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 0, stderr
    ports = [int(bootstrap.rsplit(":", 1)[1])] + [int(u.rsplit(":", 1)[1]) for u in urls.values()]
    assert not [port for port in ports if listening(port)]
    _, pids = started_by(stderr)
    assert len(pids) == 4 and not [pid for pid in pids if alive(pid)]


def test_up_restarts_a_killed_service_reports_a_dead_broker_and_keeps_running(
    tmp_path: Path,
) -> None:
    # On PostgreSQL, with a password (trust auth ignores it) given as accord up allows: in the
    # environment. No process started may show it on its command line.
    password = "s3cret-pw"
    database_url = DEFAULT_ADMIN_URL.replace("postgres@", f"postgres:{password}@")
    assert password in database_url
    up = subprocess.Popen(
        [*ACCORD, "up", "--workdir", str(tmp_path / "work")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "ACCORD_DATABASE_URL": database_url},
    )
    seen: list[str] = []
    watchdog = threading.Timer(90, up.kill)  # a line that never comes fails, not hangs
    watchdog.start()
    try:
        read_until(up.stderr, r"reference system is up", seen)
        status = read_until(up.stderr, r"^accord: status: (.*)$", seen).group(1)
        assert status == "shipping up, invoicing up, order up, broker up"
        _, pids = started_by("".join(seen))
        shipping = int(re.search(r"shipping is healthy .*\(pid (\d+)\)", "".join(seen)).group(1))  # type: ignore[union-attr]
        broker = int(re.search(r"broker ready .*\(pid (\d+)\)", "".join(seen)).group(1))  # type: ignore[union-attr]

        assert "created databases" in "".join(seen)
        for pid in pids - {broker}:
            assert password.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()

        os.kill(shipping, signal.SIGKILL)
        read_until(up.stderr, r"shipping exited with code -9; restarting it \(restart 1\)", seen)
        again = read_until(up.stderr, r"shipping is healthy again at (\S+) \(pid (\d+)\)", seen)
        restarted = Path(f"/proc/{again.group(2)}/cmdline").read_bytes()
        assert password.encode() not in restarted and b"--database-url" not in restarted
        assert requests.get(again.group(1) + "/health", timeout=5).json()["status"] == "ok"
        read_until(up.stderr, r"^accord: status: shipping up \(1 restart\), invoicing up", seen)

        os.kill(broker, signal.SIGKILL)
        read_until(up.stderr, r"the broker at \S+ is DOWN: its process exited with code -9", seen)
        read_until(up.stderr, r"^accord: status: .*, broker DOWN$", seen)
        assert up.poll() is None, "up keeps running with the broker down"
        up.send_signal(signal.SIGTERM)
        _, rest = up.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if up.poll() is None:
            up.kill()
            up.wait()
    stderr = "".join(seen) + rest
    assert up.returncode == 0, stderr
    _, pids = started_by(stderr)
    assert len(pids) == 5 and not [pid for pid in pids if alive(pid)], stderr
