"""ReferenceSystem and ServiceProcess against a fake service script (no broker, no services)."""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
import requests

from accord.system import ReferenceSystem, ServiceError

pytestmark = pytest.mark.unit

FAKE = Path(__file__).with_name("fake_service.py")


class FakeBroker:
    """Just enough of a Broker for the supervisor: an address and topic creation."""

    bootstrap_servers = "127.0.0.1:1"

    def __init__(self) -> None:
        self.topics: list[tuple[list[str], int]] = []

    def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
        self.topics.append((list(names), partitions))


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it holds no port and no files.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def system(tmp_path: Path, **kwargs: object) -> ReferenceSystem:
    options: dict[str, object] = {
        "workdir": tmp_path,
        "launcher": [sys.executable, str(FAKE)],
        "startup_timeout_s": 10.0,
    }
    options.update(kwargs)
    return ReferenceSystem(FakeBroker(), **options)  # type: ignore[arg-type]


def test_starts_three_healthy_services_and_leaves_nothing_behind(tmp_path: Path) -> None:
    messages: list[str] = []
    ref = system(tmp_path, invoicing_delay_ms=250, on_progress=messages.append)
    with ref:
        assert set(ref.urls) == {"order", "shipping", "invoicing"}
        for url in ref.urls.values():
            assert requests.get(url + "/health", timeout=2).status_code == 200
        pids, ports = ref.pids, ref.ports
        assert len(set(pids.values())) == 3 and len(set(ports.values())) == 3
        assert ref.broker.topics == [(["order", "delivery", "invoice"], 3)]  # type: ignore[attr-defined]
        assert ref.database_urls["order"] == f"sqlite:///{tmp_path.resolve()}/order.db"
    assert not any(alive(pid) for pid in pids.values())
    assert not any(listening(port) for port in ports.values())
    logs = {name: path.read_text() for name, path in ref.log_paths.items()}
    assert '"--processing-delay-ms", "250"' in logs["invoicing"]
    assert "--processing-delay-ms" not in logs["shipping"] + logs["order"]
    assert '"--bootstrap-servers", "127.0.0.1:1"' in logs["order"]
    assert all(f"fake {name} stopped" in text for name, text in logs.items())  # SIGTERM, not KILL
    assert any("invoicing is healthy" in m for m in messages)


def test_a_service_that_dies_on_start_is_named_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MODE_INVOICING", "die")
    ref = system(tmp_path)
    with pytest.raises(ServiceError) as caught:
        ref.start()
    assert caught.value.service == "invoicing"
    message = str(caught.value)
    assert "invoicing service exited with code 3" in message
    assert "cannot open sqlite:///" in message  # the tail of its log
    assert not any(listening(port) for port in ref.ports.values())


def test_a_service_that_never_gets_healthy_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MODE_SHIPPING", "unhealthy")
    ref = system(tmp_path, startup_timeout_s=1.0)
    with pytest.raises(ServiceError, match=r"shipping service at .* was not healthy within 1s "
                       r"\(last answer: HTTP 503"):
        ref.start()
    assert not any(listening(port) for port in ref.ports.values())


def test_a_service_that_ignores_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MODE_ORDER", "ignore-term")
    ref = system(tmp_path, stop_timeout_s=0.5)
    with ref:
        pid, port = ref.pids["order"], ref.ports["order"]
    assert not alive(pid)
    assert not listening(port)
    assert "fake order stopped" not in ref.log_paths["order"].read_text()


def test_a_grandchild_left_by_a_service_is_killed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_MODE_SHIPPING", "child")
    ref = system(tmp_path)
    with ref:
        pass
    found = re.search(r"grandchild=(\d+)", ref.log_paths["shipping"].read_text())
    assert found is not None
    assert not alive(int(found.group(1)))


def test_check_reports_a_service_that_died_while_running(tmp_path: Path) -> None:
    import signal

    from tenacity import Retrying, stop_after_delay, wait_fixed

    ref = system(tmp_path)
    with ref:
        ref.check()  # all running: nothing to report
        os.kill(ref.pids["shipping"], signal.SIGKILL)
        for attempt in Retrying(stop=stop_after_delay(5), wait=wait_fixed(0.05)):
            with attempt:
                ref.check()
                raise AssertionError("shipping still counts as running")
            error = attempt.retry_state.outcome.exception()  # type: ignore[union-attr]
            if isinstance(error, ServiceError):
                break
        assert isinstance(error, ServiceError)
        assert "shipping service exited with code -9" in str(error)


def test_ctrl_c_while_starting_stops_what_was_started(tmp_path: Path) -> None:
    def interrupt(message: str) -> None:
        if message.startswith("shipping is healthy"):
            raise KeyboardInterrupt

    ref = system(tmp_path, on_progress=interrupt)
    with pytest.raises(KeyboardInterrupt):
        ref.start()
    assert ref.pids == {}
    assert not any(listening(port) for port in ref.ports.values())


class OwnBroker(FakeBroker):
    """A broker process of the system's own, as the embedded one is: it reports its exit."""

    def __init__(self) -> None:
        super().__init__()
        self.code: int | None = None

    def exit_code(self) -> int | None:
        return self.code


def test_supervise_restarts_a_crashed_service_and_reports_a_dead_broker(
    tmp_path: Path,
) -> None:
    import signal

    from tenacity import Retrying, stop_after_delay, wait_fixed

    from accord.system._reference import MAX_RESTARTS

    messages: list[str] = []
    broker = OwnBroker()
    ref = ReferenceSystem(
        broker,  # type: ignore[arg-type]
        workdir=tmp_path, launcher=[sys.executable, str(FAKE)], startup_timeout_s=10.0,
        on_progress=messages.append,
    )  # fmt: skip
    with ref:
        assert ref.supervise() is False
        assert ref.status_line() == "shipping up, invoicing up, order up, broker up"
        old_pid, url = ref.pids["shipping"], ref.urls["shipping"]
        os.kill(old_pid, signal.SIGKILL)
        for attempt in Retrying(stop=stop_after_delay(10), wait=wait_fixed(0.05), reraise=True):
            with attempt:
                ref.supervise()
                assert ref.status_line().startswith("shipping up (1 restart),")
        assert ref.pids["shipping"] != old_pid and ref.urls["shipping"] == url
        assert requests.get(url + "/health", timeout=2).status_code == 200
        assert any(m.startswith("shipping exited with code -9; restarting it") for m in messages)
        assert any(m.startswith(f"shipping is healthy again at {url}") for m in messages)

        broker.code = -9
        assert ref.supervise() is True
        assert ref.status_line().endswith("broker DOWN")
        assert messages[-1].startswith(
            "the broker at 127.0.0.1:1 is DOWN: its process exited with code -9;"
        )
        assert ref.supervise() is False, "reported once"

        # A service that keeps dying is restarted a bounded number of times, then left down.
        for exits in range(1, MAX_RESTARTS + 2):
            os.kill(ref.pids["order"], signal.SIGKILL)
            for attempt in Retrying(stop=stop_after_delay(10), wait=wait_fixed(0.02), reraise=True):
                with attempt:
                    ref.supervise()
                    found = re.search(r"order (restarting|given up) \((\d+) restarts?\)",
                                      ref.status_line())  # fmt: skip
                    assert found is not None and int(found.group(2)) == min(exits, MAX_RESTARTS)
                    assert (found.group(1) == "given up") == (exits > MAX_RESTARTS)
        assert any("its 6th exit within 60s: not restarting it again" in m for m in messages)


def test_the_database_url_reaches_the_services_by_environment_not_command_line(
    tmp_path: Path,
) -> None:
    """A password in the database URL must not be readable through ``ps`` (any user can read
    another's /proc/<pid>/cmdline; /proc/<pid>/environ only its owner and root)."""
    with system(tmp_path) as ref:
        urls = ref.database_urls
        for name, pid in ref.pids.items():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert b"--database-url" not in cmdline, (name, cmdline)
            assert not [arg for arg in cmdline if b"sqlite://" in arg], (name, cmdline)
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            expected = f"REFERENCE_DATABASE_URL={urls[name]}".encode()
            assert expected in environ, name
    for name, path in ref.log_paths.items():
        assert f"fake {name} database={urls[name]}" in path.read_text()
