"""HTTP APIs: schemathesis over each service's published OpenAPI document.

The documents are the committed ``contracts/openapi/<service>.json``, the contract clients
rely on, not the ``/openapi.json`` a running app serves: a provider that changed its response
model together with its code would pass against its own document, and only the committed one
shows the drift (``test_drift_from_the_committed_document_is_caught`` below seeds such a
change). ``tests/unit/reference/test_api.py`` keeps the committed documents equal to the
apps' exports, so a deliberate change is exported and reviewed with the code.

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

import copy
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from accord.system import ReferenceSystem
from reference_services.bootstrap import bootstrap

pytestmark = pytest.mark.e2e

#: The published documents: what the checks hold the services to.
OPENAPI = Path(__file__).resolve().parents[1] / "contracts" / "openapi"
#: Examples per operation: enough to find the usual mistakes, few enough to stay fast.
MAX_EXAMPLES = 25
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def published(service: str, app: Any = None) -> Any:
    """The committed OpenAPI document of ``service``; calls go to ``app`` when given (ASGI,
    in-process), else over HTTP to the base URL each test passes."""
    schema = schemathesis.openapi.from_path(OPENAPI / f"{service}.json")
    if app is not None:
        schema.app = app
    return schema


order = published("order", bootstrap("order").app)
shipping = published("shipping", bootstrap("shipping").app)
invoicing = published("invoicing", bootstrap("invoicing").app)

order_live = published("order").include(method="GET")
shipping_live = published("shipping").include(method="GET")
invoicing_live = published("invoicing").include(method="GET")


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


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                Awaitable[None]]  # fmt: skip


def _drifted_order_app() -> ASGI:
    """The order service after a provider change made consistently in code and model:
    ``GET /items`` answers ``unitPrice`` instead of ``price``, and its own ``/openapi.json``
    says so. Nothing but the committed document still promises ``price``."""
    app = bootstrap("order").app
    drifted = copy.deepcopy(json.loads((OPENAPI / "order.json").read_text(encoding="utf-8")))
    item = drifted["components"]["schemas"]["CatalogueItemOut"]
    item["properties"]["unitPrice"] = item["properties"].pop("price")
    item["required"] = [("unitPrice" if name == "price" else name) for name in item["required"]]
    app.openapi = lambda: drifted  # type: ignore[method-assign]  # served as /openapi.json

    async def renamed(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/items":
            await app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            items = json.loads(body)
            for entry in items:
                entry["unitPrice"] = entry.pop("price")
            out = json.dumps(items).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", b"%d" % len(out))]})
            await send({"type": "http.response.body", "body": out})

        await app(scope, receive, rewrite)

    return renamed


def test_drift_from_the_committed_document_is_caught() -> None:
    """Against its own document the drifted provider passes; against the published one, the
    check fails and names the field."""
    app = _drifted_order_app()
    own = schemathesis.openapi.from_asgi("/openapi.json", app)
    own["/items"]["GET"].Case().call_and_validate()  # self-consistent: passes

    with pytest.raises(FailureGroup) as failed:
        published("order", app)["/items"]["GET"].Case().call_and_validate()
    assert "Response violates schema" in str(failed.value)
    assert '"price" is a required property' in str(failed.value)
