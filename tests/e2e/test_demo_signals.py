"""Ctrl-C and SIGTERM stop `accord demo` and `accord up` with nothing left running."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

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
    ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", stderr)}
    pids = {int(p) for p in re.findall(r"\(pid (\d+)\)", stderr)}
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
    pids = {int(p) for p in re.findall(r"\(pid (\d+)\)", stderr)}
    assert len(pids) == 4 and not [pid for pid in pids if alive(pid)]
