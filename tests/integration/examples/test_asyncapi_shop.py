"""examples/asyncapi-shop: a project with only an AsyncAPI document and its own producer.

accord, run as its users run it (the CLI, in the project's directory, which finds the
document through ``[tool.accord]``), validates the topics on the real embedded broker,
audits them, and checks the document's evolution.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from accord.broker import EmbeddedBroker

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "asyncapi-shop"
TOPICS = "shop.payments,shop.receipts"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    accord = str(Path(sys.executable).with_name("accord"))
    return subprocess.run(
        [accord, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example (tests write next to its document)."""
    target = tmp_path_factory.mktemp("shop") / "asyncapi-shop"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture(scope="module")
def running(shop: Path) -> Iterator[tuple[Path, EmbeddedBroker]]:
    with EmbeddedBroker() as broker:
        broker.create_topics(TOPICS.split(","))
        produce = [sys.executable, "producer.py", broker.bootstrap_servers, "--payments", "6"]
        subprocess.run(produce, cwd=shop, check=True, timeout=60)
        yield shop, broker


def test_its_topics_validate_and_a_broken_producer_is_named(
    running: tuple[Path, EmbeddedBroker],
) -> None:
    shop, broker = running
    url = f"kafka://{broker.bootstrap_servers}/{TOPICS}"
    ok = _run("schema", "validate", url, cwd=shop)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines()[-1] == "12 events checked: 12 valid, 0 invalid (0 violations)"

    audit = _run(
        "audit", url, "--trigger", "payment.received", "--expect", "receipt.issued=10s", cwd=shop
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "CONSISTENT: 6 payment.received triggers, 0 violations" in audit.stdout

    subprocess.run(
        [
            sys.executable,
            "producer.py",
            broker.bootstrap_servers,
            "--payments",
            "1",
            "--break",
            "amount",
        ],
        cwd=shop,
        check=True,
        timeout=60,
    )
    bad = _run("schema", "validate", url, cwd=shop)
    assert bad.returncode == 1
    assert "payment.received" in bad.stdout
    assert "/data/amount: required property missing" in bad.stdout
    assert bad.stdout.splitlines()[-1] == "14 events checked: 13 valid, 1 invalid (1 violation)"


def test_a_record_on_the_wrong_channel_is_named(
    running: tuple[Path, EmbeddedBroker], tmp_path: Path
) -> None:
    from kafka import KafkaProducer

    shop, broker = running
    topic = "shop.payments"
    producer = KafkaProducer(**broker.producer_config())
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"r-1"),
        ("ce_source", b"/shop/receipts"),
        ("ce_type", b"receipt.issued"),
        ("ce_time", b"2026-03-01T12:00:00Z"),
        ("content-type", b"application/json"),
    ]
    value = {
        "receiptId": "6d5f8a2e-0b7c-4c1e-9a3d-2f4b6c8d0e1f",
        "paymentId": "6d5f8a2e-0b7c-4c1e-9a3d-2f4b6c8d0e1f",
        "amount": "1.00",
        "issuedAt": "2026-03-01T12:00:00Z",
    }
    producer.send(topic, value=json.dumps(value).encode(), headers=headers)
    producer.flush()
    producer.close()
    result = _run("schema", "validate", f"kafka://{broker.bootstrap_servers}/{topic}", cwd=shop)
    assert result.returncode == 1
    assert (
        '/type: "receipt.issued" is not a message of the channel of topic shop.payments '
        "(expected payment.received)"
    ) in result.stdout


def test_its_evolution_is_checked(shop: Path) -> None:
    named = _run("schema", "compat", "--contracts", "asyncapi.yaml", cwd=shop)
    assert named.returncode == 0
    # with no argument, [tool.accord] contracts of the project's pyproject.toml
    configured = _run("schema", "compat", cwd=shop)
    assert (configured.returncode, configured.stdout) == (0, named.stdout)
    assert (
        configured.stderr
        == f"accord: checking {shop / 'asyncapi.yaml'} ([tool.accord] contracts)\n"
    )
    document = yaml.safe_load((shop / "asyncapi.yaml").read_text())
    payload = document["components"]["messages"]["paymentReceived"]["payload"]

    payload["properties"]["method"] = {"type": "string", "description": "card, cash, ..."}
    (shop / "benign.yaml").write_text(yaml.safe_dump(document))
    benign = _run("schema", "compat", "--asyncapi", "asyncapi.yaml", "benign.yaml", cwd=shop)
    assert benign.returncode == 0, benign.stdout + benign.stderr
    assert (
        "  message paymentReceived (payment.received v1, FULL_TRANSITIVE): changed: "
        "compatible under FULL_TRANSITIVE"
    ) in benign.stdout.splitlines()

    payload["properties"]["amount"] = {"type": "number"}
    (shop / "breaking.yaml").write_text(yaml.safe_dump(document))
    breaking = _run(
        "schema",
        "compat",
        "--asyncapi",
        "asyncapi.yaml",
        "breaking.yaml",
        "--format",
        "json",
        cwd=shop,
    )
    assert breaking.returncode == 1, breaking.stderr
    report = json.loads(breaking.stdout)
    message = report["channels"]["payments"]["messages"]["paymentReceived"]
    assert message["breaking"] and message["reason"] == "payload breaks FULL_TRANSITIVE"
    kinds = {(c["path"], c["kind"]) for c in message["payload"]["changes"] if c["breaking"]}
    assert ("#/properties/amount", "TYPE_CHANGED") in kinds
    assert report["channels"]["receipts"]["status"] == "unchanged"
