"""A versioned contract registry: pacts, event schemas, verification results and deployments.

Stored in a directory (atomic writes, an fcntl-locked index) or a git repository
(``git+file://...``; each change is a commit, concurrent pushes are retried). It answers the
questions a Pact Broker answers: which pacts must a provider satisfy, and can a version be
deployed to an environment.
"""

from __future__ import annotations

from accord.registry._index import Decision, PactForVerification
from accord.registry._store import (
    DirectoryRegistry,
    GitRegistry,
    Registry,
    RegistryError,
    open_registry,
)
from accord.registry._workflow import RegistryVerification, verify_from_registry

__all__ = [
    "Decision",
    "DirectoryRegistry",
    "GitRegistry",
    "PactForVerification",
    "Registry",
    "RegistryError",
    "RegistryVerification",
    "open_registry",
    "verify_from_registry",
]
