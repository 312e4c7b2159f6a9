"""The contract registry: publishing, pacts for verification, the can-i-deploy matrix,
deployments, atomic writes and concurrent publishers (directory and git)."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest

from accord.errors import UsageError
from accord.registry import DirectoryRegistry, GitRegistry, RegistryError, open_registry

pytestmark = pytest.mark.unit


def pact(consumer: str, provider: str = "order", marker: str = "") -> dict[str, Any]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": f"an event {marker}",
                "type": "Asynchronous/Messages",
                "contents": {"content": {"orderId": "x"}},
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def verify(reg: Any, provider_version: str, consumer: str, success: bool) -> None:
    for p in reg.pacts_for_verification("order"):
        if p.consumer == consumer:
            reg.record_verification(
                provider="order",
                provider_version=provider_version,
                consumer=p.consumer,
                consumer_version=p.consumer_version,
                sha=p.sha,
                success=success,
                mismatches=[]
                if success
                else [
                    {"interaction": "an event", "path": "$.billingAddress", "message": "missing"}
                ],
            )


def test_latest_per_branch_and_pending(tmp_path: Path) -> None:
    reg = DirectoryRegistry(tmp_path / "reg")
    reg.publish("shipping", "1", branch="main", pacts=[pact("shipping", marker="v1")])
    reg.publish("shipping", "2", branch="main", pacts=[pact("shipping", marker="v2")])
    reg.publish("shipping", "3", branch="feat-x", pacts=[pact("shipping", marker="v3")])
    reg.publish("invoicing", "1", branch="main", pacts=[pact("invoicing")])
    selected = reg.pacts_for_verification("order")
    assert [(p.consumer, p.consumer_version, p.branch) for p in selected] == [
        ("invoicing", "1", "main"),
        ("shipping", "3", "feat-x"),
        ("shipping", "2", "main"),
    ]
    assert all(p.pending for p in selected)  # never verified yet
    verify(reg, "10", "shipping", success=True)
    assert {p.consumer_version: p.pending for p in reg.pacts_for_verification("order")} == {
        "1": True,
        "2": False,
        "3": False,
    }
    assert json.loads(reg.blob_path(selected[0].sha).read_text())["consumer"]["name"] == (
        "invoicing"
    )


def test_can_i_deploy_answers_from_the_matrix(tmp_path: Path) -> None:
    reg = DirectoryRegistry(tmp_path)
    reg.publish("shipping", "1", branch="main", pacts=[pact("shipping")])
    reg.publish("invoicing", "1", branch="main", pacts=[pact("invoicing")])
    verify(reg, "good", "shipping", success=True)
    verify(reg, "good", "invoicing", success=True)
    verify(reg, "bad", "shipping", success=True)
    verify(reg, "bad", "invoicing", success=False)
    reg.record_deployment("shipping", "1", "prod")
    reg.record_deployment("invoicing", "1", "prod")

    yes = reg.can_i_deploy("order", "good", "prod")
    assert yes.ok, yes.format()
    assert "invoicing 1 (deployed in prod): pact verified by order good" in yes.reasons

    no = reg.can_i_deploy("order", "bad", "prod")
    assert not no.ok
    assert no.format().startswith("no: order bad cannot be deployed to prod")
    assert any("invoicing 1" in r and "$.billingAddress" in r for r in no.reasons)

    # Nothing deployed in staging: nothing to break.
    assert reg.can_i_deploy("order", "bad", "staging").ok
    # The consumer's side: order "good" is in prod and verified shipping 1.
    reg.record_deployment("order", "good", "prod")
    assert reg.can_i_deploy("shipping", "1", "prod").ok
    reg.record_deployment("order", "bad", "prod")  # the later deployment replaces it
    assert reg.can_i_deploy("shipping", "1", "prod").ok
    verdict = reg.can_i_deploy("invoicing", "1", "prod")
    assert not verdict.ok
    assert "order bad (deployed in prod) failed" in verdict.reasons[0]


def test_unknown_versions(tmp_path: Path) -> None:
    reg = DirectoryRegistry(tmp_path)
    decision = reg.can_i_deploy("order", "9", "prod")
    assert not decision.ok and "not in the registry" in decision.reasons[0]
    with pytest.raises(UsageError, match="order 9 is not in the registry"):
        reg.record_deployment("order", "9", "prod")


def test_publish_checks_the_consumer_name(tmp_path: Path) -> None:
    reg = DirectoryRegistry(tmp_path)
    with pytest.raises(UsageError, match="belongs to consumer 'invoicing'"):
        reg.publish("shipping", "1", pacts=[pact("invoicing")])
    assert not (tmp_path / "registry.json").exists()


def test_schemas_are_stored_by_content(tmp_path: Path) -> None:
    reg = DirectoryRegistry(tmp_path)
    schema = {"$id": "urn:accord:schemas:order.accepted:v1", "type": "object"}
    stored = reg.publish("order", "1", schemas=[schema])
    assert stored[0].startswith("schema urn:accord:schemas:order.accepted:v1")
    record = reg.index()["schemas"][0]
    assert reg.read_blob(record["sha"]) == schema


def test_a_corrupt_index_is_reported(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text("{half")
    with pytest.raises(RegistryError, match="registry index is not JSON"):
        DirectoryRegistry(tmp_path).index()


def _publish_many(spec: str, consumer: str, count: int, barrier: Any) -> None:
    barrier.wait()
    with open_registry(spec) as reg:
        for n in range(count):
            reg.publish(consumer, f"{n}", branch="main", pacts=[pact(consumer, marker=str(n))])


def _race(spec: str, count: int) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_publish_many, args=(spec, name, count, barrier))
        for name in ("shipping", "invoicing")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0


def _check_complete(index: dict[str, Any], count: int) -> None:
    assert len(index["pacts"]) == 2 * count
    assert len(index["versions"]) == 2 * count
    seqs = [r["seq"] for key in ("pacts", "versions") for r in index[key]]
    assert len(set(seqs)) == len(seqs)
    for consumer in ("shipping", "invoicing"):
        assert sorted(
            int(p["consumerVersion"]) for p in index["pacts"] if p["consumer"] == consumer
        ) == list(range(count))


def test_concurrent_publishes_to_a_directory_lose_nothing(tmp_path: Path) -> None:
    _race(str(tmp_path / "reg"), 25)
    reg = DirectoryRegistry(tmp_path / "reg")
    _check_complete(reg.index(), 25)
    leftovers = [p.name for p in (tmp_path / "reg").rglob("*.tmp")]
    assert leftovers == []
    for record in reg.index()["pacts"]:
        reg.read_blob(record["sha"])  # every blob is there and is JSON


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_registry_round_trip_and_concurrent_publishes(tmp_path: Path) -> None:
    spec = f"git+file://{tmp_path / 'contracts.git'}"
    _race(spec, 4)
    with GitRegistry(spec) as reg:
        _check_complete(reg.index(), 4)
        verify(reg, "1", "shipping", success=True)
        reg.record_deployment("shipping", "3", "prod")
    with open_registry(spec) as fresh:  # a new clone sees everything that was pushed
        assert fresh.can_i_deploy("order", "1", "prod").ok
        assert len(fresh.index()["verifications"]) == 1
