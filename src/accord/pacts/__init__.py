"""Consumer contracts with Pact: reading pacts, verifying providers, and who-uses-what.

The consumer side is plain pact-python 4 (``pact.Pact(...).with_specification("V4")``); this
package adds what accord needs around it: provider verification that produces messages with
the provider's own Kafka serialisation (:func:`verify_provider`), errors that name the consumer,
interaction and JSON path (:class:`ContractViolationError`), the usage matrix
(:func:`usage_matrix`) and schema-change impact (:func:`analyse_impact`).
"""

from __future__ import annotations

from accord.pacts._broker import broker_pact_urls, broker_publish_command, pact_cli
from accord.pacts._errors import ContractViolationError, Mismatch
from accord.pacts._impact import FieldChange, ImpactReport, analyse_impact, schema_fields
from accord.pacts._model import Interaction, PactDocument, load_pacts, pact_paths, used_paths
from accord.pacts._usage import format_usage_markdown, usage_matrix
from accord.pacts._verify import (
    InteractionOutcome,
    ProviderUnderTest,
    VerificationResult,
    pact_message,
    verify_provider,
)

__all__ = [
    "ContractViolationError",
    "FieldChange",
    "ImpactReport",
    "Interaction",
    "InteractionOutcome",
    "Mismatch",
    "PactDocument",
    "ProviderUnderTest",
    "VerificationResult",
    "analyse_impact",
    "broker_pact_urls",
    "broker_publish_command",
    "format_usage_markdown",
    "load_pacts",
    "pact_cli",
    "pact_message",
    "pact_paths",
    "schema_fields",
    "usage_matrix",
    "used_paths",
    "verify_provider",
]
