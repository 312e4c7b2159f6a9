"""The registry's data model and the rules that answer its questions.

The index is one JSON document (``registry.json``) of append-only lists; the contents of
pacts and schemas live beside it in content-addressed blobs. Every record carries ``seq``, a
counter the registry increments on each write, so "latest" never depends on clock ties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Decision",
    "PactForVerification",
    "can_i_deploy",
    "empty_index",
    "pacts_for_verification",
]

FORMAT = 1


def empty_index() -> dict[str, Any]:
    """A registry with nothing in it."""
    return {
        "format": FORMAT,
        "seq": 0,
        "versions": [],
        "pacts": [],
        "schemas": [],
        "verifications": [],
        "deployments": [],
    }


@dataclass(frozen=True, slots=True)
class PactForVerification:
    """A pact a provider must satisfy, and why it was selected.

    Attributes:
        consumer: The consumer's name.
        consumer_version: The consumer version that published it.
        branch: That version's branch (may be empty).
        sha: The SHA-256 of the pact's canonical JSON (its blob name).
        pending: True when this pact content was never verified successfully by the
            provider: a failure then does not fail the provider build.
        reasons: Why it was selected (``latest from branch main``, ``deployed in prod``).
    """

    consumer: str
    consumer_version: str
    branch: str
    sha: str
    pending: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer of ``can-i-deploy``: ``ok`` and one reason per integration checked."""

    ok: bool
    pacticipant: str
    version: str
    environment: str
    reasons: tuple[str, ...]

    def format(self) -> str:
        head = (
            f"{'yes' if self.ok else 'no'}: {self.pacticipant} {self.version} "
            f"{'can' if self.ok else 'cannot'} be deployed to {self.environment}"
        )
        return "\n".join([head, *[f"  - {r}" for r in self.reasons]])


def _current_deployments(index: Mapping[str, Any], environment: str) -> dict[str, str]:
    """pacticipant -> version currently deployed in ``environment``."""
    current: dict[str, tuple[int, str]] = {}
    for record in index["deployments"]:
        if record["environment"] != environment:
            continue
        name = record["pacticipant"]
        if name not in current or record["seq"] > current[name][0]:
            current[name] = (record["seq"], record["version"])
    return {name: version for name, (_, version) in current.items()}


def _verified(
    index: Mapping[str, Any], provider: str, sha: str, provider_version: str | None
) -> list[Mapping[str, Any]]:
    return [
        v
        for v in index["verifications"]
        if v["provider"] == provider
        and v["pactSha"] == sha
        and (provider_version is None or v["providerVersion"] == provider_version)
    ]


def pacts_for_verification(
    index: Mapping[str, Any], provider: str, environments: Sequence[str] | None = None
) -> list[PactForVerification]:
    """The pacts ``provider`` must satisfy: the latest per consumer branch, plus the ones of
    consumer versions currently deployed in an environment (Pact's ``mainBranch``/
    ``matchingBranch`` and ``deployedOrReleased`` selectors, simplified).
    """
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for pact in index["pacts"]:
        if pact["provider"] != provider:
            continue
        key = (pact["consumer"], pact.get("branch") or "")
        if key not in latest or pact["seq"] > latest[key]["seq"]:
            latest[key] = pact
    selected: dict[str, tuple[Mapping[str, Any], list[str]]] = {}
    for (_, branch), pact in sorted(latest.items()):
        reason = f"latest from branch {branch}" if branch else "latest without a branch"
        selected.setdefault(pact["sha"], (pact, []))[1].append(reason)
    envs = (
        environments
        if environments is not None
        else sorted({d["environment"] for d in index["deployments"]})
    )
    for env in envs:
        for name, version in _current_deployments(index, env).items():
            for pact in index["pacts"]:
                if (pact["provider"], pact["consumer"], pact["consumerVersion"]) == (
                    provider,
                    name,
                    version,
                ):
                    selected.setdefault(pact["sha"], (pact, []))[1].append(f"deployed in {env}")
    out = []
    for sha, (pact, reasons) in selected.items():
        ever_ok = any(v["success"] for v in _verified(index, provider, sha, None))
        out.append(
            PactForVerification(
                pact["consumer"],
                pact["consumerVersion"],
                pact.get("branch") or "",
                sha,
                not ever_ok,
                tuple(reasons),
            )
        )
    return sorted(out, key=lambda p: (p.consumer, p.branch, p.consumer_version))


def _version_known(index: Mapping[str, Any], pacticipant: str, version: str) -> bool:
    return any(
        v["pacticipant"] == pacticipant and v["version"] == version for v in index["versions"]
    )


def _latest_verification(
    index: Mapping[str, Any], provider: str, provider_version: str, sha: str
) -> Mapping[str, Any] | None:
    found = _verified(index, provider, sha, provider_version)
    return max(found, key=lambda v: v["seq"]) if found else None


def _describe_failure(record: Mapping[str, Any]) -> str:
    mismatches = record.get("mismatches") or []
    if not mismatches:
        return "verification failed"
    first = mismatches[0]
    more = f" (+{len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
    return (
        f"failed: {first.get('interaction')!r} at {first.get('path')}: {first.get('message')}{more}"
    )


def can_i_deploy(
    index: Mapping[str, Any], pacticipant: str, version: str, environment: str
) -> Decision:
    """Decide from the verification matrix whether ``pacticipant`` ``version`` may go to
    ``environment``: every integration with what is deployed there must be verified.

    As a consumer: each provider deployed in the environment must have verified this
    version's pact successfully (the provider version deployed there). As a provider: each
    consumer version deployed there with a pact against this pacticipant must have been
    verified successfully by this version.
    """
    reasons: list[str] = []
    ok = True
    if not _version_known(index, pacticipant, version):
        return Decision(
            False,
            pacticipant,
            version,
            environment,
            (
                f"{pacticipant} {version} is not in the registry: publish its pacts or verify it "
                "first",
            ),
        )
    deployed = _current_deployments(index, environment)
    # As a consumer of providers.
    my_pacts = [
        p
        for p in index["pacts"]
        if p["consumer"] == pacticipant and p["consumerVersion"] == version
    ]
    for pact in sorted(my_pacts, key=lambda p: p["provider"]):
        provider = pact["provider"]
        provider_version = deployed.get(provider)
        if provider_version is None:
            reasons.append(f"{provider}: no version deployed in {environment}; nothing to break")
            continue
        record = _latest_verification(index, provider, provider_version, pact["sha"])
        if record is None:
            ok = False
            reasons.append(
                f"{provider} {provider_version} (deployed in {environment}) has not verified the "
                f"pact of {pacticipant} {version}; run `accord verify` for it"
            )
        elif not record["success"]:
            ok = False
            reasons.append(
                f"{provider} {provider_version} (deployed in {environment}) "
                f"{_describe_failure(record)}"
            )
        else:
            reasons.append(
                f"{provider} {provider_version} (deployed in {environment}) verified the pact "
                f"of {pacticipant} {version}"
            )
    # As a provider for consumers.
    for consumer, consumer_version in sorted(deployed.items()):
        if consumer == pacticipant:
            continue
        pacts = [
            p
            for p in index["pacts"]
            if (p["consumer"], p["consumerVersion"], p["provider"])
            == (consumer, consumer_version, pacticipant)
        ]
        for pact in pacts:
            record = _latest_verification(index, pacticipant, version, pact["sha"])
            if record is None:
                ok = False
                reasons.append(
                    f"{consumer} {consumer_version} (deployed in {environment}): no verification "
                    f"of its pact by {pacticipant} {version}; run `accord verify` first"
                )
            elif not record["success"]:
                ok = False
                reasons.append(
                    f"{consumer} {consumer_version} (deployed in {environment}): "
                    f"{pacticipant} {version} {_describe_failure(record)}"
                )
            else:
                reasons.append(
                    f"{consumer} {consumer_version} (deployed in {environment}): pact verified "
                    f"by {pacticipant} {version}"
                )
    if not reasons:
        reasons.append(f"no integrations with anything deployed in {environment}")
    return Decision(ok, pacticipant, version, environment, tuple(reasons))
