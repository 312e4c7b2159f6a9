"""``--accord-kafka=testcontainers``: the plugin's fixtures on Apache Kafka in Docker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.docker]

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"

TEST = '''
from datetime import UTC, datetime
import uuid

from kafka import KafkaProducer
from accord.events import make_event, to_kafka


def test_records_on_kafka_in_docker(accord_broker, accord_events):
    accord_events.record("delivery")
    key = str(uuid.uuid4())
    data = {"deliveryId": str(uuid.uuid4()), "orderId": key, "customerName": "Ada",
            "shippingAddress": {"street": "Main Street 1", "zip": "12345", "city": "Town"},
            "lines": [{"count": 1, "itemId": "i-1", "name": "Pen"}],
            "createdAt": datetime.now(UTC).isoformat()}
    message = to_kafka(make_event("delivery.created", "/reference/shipping", data, key=key))
    producer = KafkaProducer(**accord_broker.producer_config())
    producer.send("delivery", key=message.key, value=message.value,
                  headers=message.headers).get(timeout=30)
    producer.close()
    assert accord_events.wait_for("delivery.created", key=key, within="30s")["data"] == data
'''


def _docker_reachable() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


def test_fixtures_work_on_a_testcontainers_broker(tmp_path: Path) -> None:
    if not _docker_reachable():
        pytest.skip("no Docker engine reachable: the testcontainers broker needs one")
    (tmp_path / "test_docker_broker.py").write_text(TEST)
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--accord-kafka=testcontainers",
            f"--accord-contracts={CONTRACTS}", "-p", "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
