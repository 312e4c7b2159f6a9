"""``python -m reference_services`` as a real process: /health turns 200 only once the consumer
has its partitions, SIGTERM stops it gracefully (exit 0, port closed)."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from typing import Any

import pytest
import requests

from accord.broker import EmbeddedBroker
from accord.broker._base import free_port, port_open

pytestmark = pytest.mark.integration


def test_consumer_process_health_and_sigterm(
    fresh_broker: EmbeddedBroker, pg_database: Any, eventually: Any, tmp_path: Any
) -> None:
    # A broker of its own: the process consumes the standard topic 'order' from the start
    # and publishes to 'invoice', which must not touch what other tests put on the session
    # broker.
    broker = fresh_broker
    port = free_port()
    log = (tmp_path / "invoicing.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_services",
            "invoicing",
            "--port",
            str(port),
            "--bootstrap-servers",
            broker.bootstrap_servers,
            "--database-url",
            pg_database(),
            "--group-id",
            f"invoicing-{uuid.uuid4().hex[:8]}",
            "--processing-delay-ms",
            "5",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        statuses: list[int] = []

        def healthy() -> None:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except requests.ConnectionError:
                raise AssertionError("not listening yet") from None
            statuses.append(response.status_code)
            assert response.status_code == 200, response.text
            assert response.json() == {"status": "ok"}

        eventually(healthy, timeout_s=30)
        assert statuses[-1] == 200
        assert set(statuses) <= {200, 503}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert not port_open("127.0.0.1", port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "invoicing.log").read_text()
    assert "invoicing: stopped" in output, output


def test_bad_database_url_is_one_line_and_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reference_services", "order", "--database-url", "nope://x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("reference order: cannot start:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
