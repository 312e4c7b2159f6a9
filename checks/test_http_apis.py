"""HTTP APIs: schemathesis over each service's OpenAPI document.

Each service's FastAPI app (``bootstrap(service).app``: a throw-away SQLite database
with the seeded catalogue, no Kafka) is exercised in-process through ASGI with every
built-in schemathesis check: no server errors, no undocumented status codes, content types
and response bodies as documented, invalid input rejected and valid input accepted. A
stateful run follows the spec's links and the ones schemathesis infers (e.g. from an
``orderId`` in a response to ``/orders/{order_id}``). In-process keeps fuzzed orders off
the shared topics, so the consistency check never sees them.

The read operations (GET) also run over HTTP against the running services of the reference
system, on their real databases (PostgreSQL with ``--accord-database-url``): reads change
nothing, and they catch what only a real database does (e.g. a value PostgreSQL refuses).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from accord.system import ReferenceSystem
from reference_services.bootstrap import bootstrap

pytestmark = pytest.mark.e2e

#: Examples per operation: enough to find the usual mistakes, few enough to stay fast.
MAX_EXAMPLES = 25
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

order = schemathesis.openapi.from_asgi("/openapi.json", bootstrap("order").app)
shipping = schemathesis.openapi.from_asgi("/openapi.json", bootstrap("shipping").app)
invoicing = schemathesis.openapi.from_asgi("/openapi.json", bootstrap("invoicing").app)

# The same documents without an app: calls go over HTTP to the base URL each test passes.
order_live = schemathesis.openapi.from_dict(order.raw_schema).include(method="GET")
shipping_live = schemathesis.openapi.from_dict(shipping.raw_schema).include(method="GET")
invoicing_live = schemathesis.openapi.from_dict(invoicing.raw_schema).include(method="GET")


@order.parametrize()
@SETTINGS
def test_order_api(case: schemathesis.Case) -> None:
    case.call_and_validate()


@shipping.parametrize()
@SETTINGS
def test_shipping_api(case: schemathesis.Case) -> None:
    case.call_and_validate()


@invoicing.parametrize()
@SETTINGS
def test_invoicing_api(case: schemathesis.Case) -> None:
    case.call_and_validate()


@order_live.parametrize()
@SETTINGS
def test_order_api_reads_live(case: schemathesis.Case, reference_system: ReferenceSystem) -> None:
    case.call_and_validate(base_url=reference_system.urls["order"])


@shipping_live.parametrize()
@SETTINGS
def test_shipping_api_reads_live(
    case: schemathesis.Case, reference_system: ReferenceSystem
) -> None:
    case.call_and_validate(base_url=reference_system.urls["shipping"])


@invoicing_live.parametrize()
@SETTINGS
def test_invoicing_api_reads_live(
    case: schemathesis.Case, reference_system: ReferenceSystem
) -> None:
    case.call_and_validate(base_url=reference_system.urls["invoicing"])


@pytest.mark.parametrize(
    "schema", [order, shipping, invoicing], ids=["order", "shipping", "invoicing"]
)
def test_stateful(schema: Any) -> None:
    """Sequences of calls that follow the spec's links and those schemathesis infers."""
    schema.as_state_machine().run(
        settings=settings(
            max_examples=10,
            stateful_step_count=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
