from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from accord.broker import EmbeddedBroker, ExternalBroker, TestcontainersBroker, open_broker
from accord.broker._base import port_open
from accord.errors import BrokerError, UsageError
from accord.events import make_event, to_kafka
from accord.sources import KafkaSource

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_broker_starts_ready_and_stops_with_port_released(tmp_path: Path) -> None:
    log = tmp_path / "tansu.log"
    broker = EmbeddedBroker(log_path=log)
    with broker:
        assert broker.pid is not None and broker.port is not None
        pid, port = broker.pid, broker.port
        assert port_open("127.0.0.1", port)
        broker.create_topics(["order", "invoice"])
        broker.create_topics(["order"])  # idempotent
        consumer = KafkaConsumer(**broker.consumer_config())
        try:
            assert {"order", "invoice"} <= consumer.topics()
            assert consumer.partitions_for_topic("order") == {0, 1, 2}
        finally:
            consumer.close()
    assert not _alive(pid)
    assert not port_open("127.0.0.1", port)
    assert "listening on: tcp://127.0.0.1" in log.read_text()


def test_embedded_broker_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = EmbeddedBroker(port=port, log_path=tmp_path / "t.log")
        with pytest.raises(BrokerError, match=rf"^127.0.0.1:{port} is already in use"):
            broker.start()
        assert broker.pid is None


def test_a_broker_that_dies_on_start_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", "/bin/false")
    broker = EmbeddedBroker(ready_timeout_s=5)
    with pytest.raises(BrokerError, match=r"^Tansu exited with code 1 on start; see its log "):
        broker.start()
    assert broker.log_path is not None and broker.log_path.exists()  # kept: it explains
    broker.log_path.unlink()


def test_a_temporary_log_goes_with_a_clean_stop() -> None:
    with EmbeddedBroker() as running:
        log = running.log_path
        assert log is not None and log.exists()
    assert not log.exists()


def test_missing_schema_registry_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match=r"schema registry directory .*nope does not exist"):
        EmbeddedBroker(schema_registry=tmp_path / "nope").start()


def test_client_settings_come_from_the_broker(broker: EmbeddedBroker) -> None:
    config = broker.consumer_config(group_id="g")
    assert config["session_timeout_ms"] == 6000
    assert config["heartbeat_interval_ms"] == 1000
    assert config["bootstrap_servers"] == broker.bootstrap_servers
    assert config["group_id"] == "g"


@pytest.mark.parametrize("bad", ["localhost", "127.0.0.1:", "h:99999", "h:1,:2", ""])
def test_external_broker_wants_host_and_port(bad: str) -> None:
    with pytest.raises(UsageError, match="is not a bootstrap address: use HOST:PORT"):
        ExternalBroker(bad)


def test_open_broker_choices() -> None:
    assert isinstance(open_broker("embedded"), EmbeddedBroker)
    assert isinstance(open_broker("testcontainers"), TestcontainersBroker)
    assert open_broker("127.0.0.1:1").bootstrap_servers == "127.0.0.1:1"
    with pytest.raises(UsageError, match="unknown broker 'kafka'"):
        open_broker("kafka")


@pytest.mark.docker
def test_testcontainers_broker_names_the_missing_engine() -> None:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        with pytest.raises(BrokerError, match="no Docker engine reachable"):
            TestcontainersBroker().start()
        return
    with TestcontainersBroker() as running:  # pragma: no cover - only where Docker exists
        assert running.bootstrap_servers


def test_kafka_source_reads_to_the_high_water_mark_of_multi_record_batches(
    broker: EmbeddedBroker, unique_topic: object
) -> None:
    topic = unique_topic("src")  # type: ignore[operator]
    broker.create_topics([topic])
    producer = KafkaProducer(**broker.producer_config(linger_ms=50))
    # One key: every record lands in one partition, batched; two partitions stay empty.
    for i in range(25):
        message = to_kafka(make_event("t", "/s", {"i": i}, key="same"))
        producer.send(topic, key=message.key, value=message.value, headers=message.headers)
    producer.send(topic, key=b"same", value=b"not json", headers=[("ce_type", b"t")])
    producer.flush()
    producer.close()
    source = KafkaSource(
        broker.bootstrap_servers, [topic], consumer_config=broker.consumer_config()
    )
    events = list(source)
    assert [event["data"]["i"] for event, _ in events] == list(range(25))
    partitions = {where.partition for _, where in events}
    assert len(partitions) == 1
    assert all(where.key == "same" for _, where in events)
    [(where, reason)] = source.undecodable
    assert str(where) == f"{topic}/{partitions.pop()}@25"
    assert reason.startswith("value is not JSON: ")


def test_kafka_source_names_a_missing_topic(broker: EmbeddedBroker) -> None:
    source = KafkaSource(broker.bootstrap_servers, ["no-such-topic-here"])
    with pytest.raises(UsageError, match="topic 'no-such-topic-here' does not exist"):
        list(source)
