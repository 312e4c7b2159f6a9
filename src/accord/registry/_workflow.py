"""Provider verification against a registry: fetch the pacts, verify, record the results."""

from __future__ import annotations

from dataclasses import dataclass

from accord.pacts import ProviderUnderTest, VerificationResult, verify_provider
from accord.registry._index import PactForVerification
from accord.registry._store import Registry

__all__ = ["RegistryVerification", "verify_from_registry"]


@dataclass(frozen=True, slots=True)
class RegistryVerification:
    """One pact from the registry and what verifying it found."""

    pact: PactForVerification
    result: VerificationResult

    @property
    def success(self) -> bool:
        return all(o.ok for o in self.result.outcomes) and bool(self.result.outcomes)

    @property
    def fails_build(self) -> bool:
        """A failure of a pending pact is reported but does not fail the provider build."""
        return not self.success and not self.pact.pending


def verify_from_registry(
    registry: Registry,
    provider: ProviderUnderTest,
    *,
    provider_version: str,
    provider_branch: str = "",
    record: bool = True,
) -> list[RegistryVerification]:
    """Verify ``provider`` against every pact it must satisfy and record each result.

    Each pact is verified on its own, so its result is recorded against its own content.
    """
    done = []
    for pact in registry.pacts_for_verification(provider.name):
        result = verify_provider(
            provider,
            [registry.blob_path(pact.sha)],
            pending_consumers=[pact.consumer] if pact.pending else [],
        )
        outcome = RegistryVerification(pact, result)
        if record:
            registry.record_verification(
                provider=provider.name,
                provider_version=provider_version,
                provider_branch=provider_branch,
                consumer=pact.consumer,
                consumer_version=pact.consumer_version,
                sha=pact.sha,
                success=outcome.success,
                pending=pact.pending,
                mismatches=[
                    {"interaction": m.interaction, "path": m.path, "message": m.message}
                    for m in result.mismatches
                ],
            )
        done.append(outcome)
    return done
