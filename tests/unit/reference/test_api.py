"""The HTTP APIs over real uvicorn servers on 127.0.0.1 (throw-away SQLite files, no Kafka)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from reference_services.common.runtime import HttpServer, ServiceRuntime
from reference_services.export_openapi import stale_documents
from reference_services.samples import sample_order_accepted
from reference_services.shipping.service_layer.handlers import handle_order_accepted

pytestmark = pytest.mark.unit

HOME = {"street": "Main 1", "zip": "10115", "city": "Berlin"}


def body(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customerId": "c-3",
        "shippingAddress": HOME,
        "billingAddress": {"street": "Billing 2", "zip": "20095", "city": "Hamburg"},
        "lines": [{"count": 3, "itemId": "i-3"}, {"count": 1, "itemId": "i-4"}],
    }
    order.update(overrides)
    return order


@pytest.fixture
def serve(service: Callable[[str], ServiceRuntime]) -> Iterator[Callable[[str], str]]:
    servers: list[HttpServer] = []

    def start(name: str) -> str:
        server = HttpServer(service(name).app).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def wait_up(url: str) -> None:
    from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

    for attempt in Retrying(
        stop=stop_after_delay(10),
        wait=wait_fixed(0.05),
        retry=retry_if_exception_type(requests.ConnectionError),
        reraise=True,
    ):
        with attempt:
            requests.get(f"{url}/health", timeout=2)


def test_order_lifecycle_over_http(serve: Callable[[str], str]) -> None:
    url = serve("order")
    wait_up(url)
    assert requests.get(f"{url}/health").json() == {"status": "ok"}
    created = requests.post(f"{url}/orders", json=body())
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["customer"] == {
        "customerId": "c-3",
        "name": "Grace Hopper",
        "email": "grace@example.com",
    }
    assert order["total"] == "159.75"  # 3 x 49.95 + 9.90, exact
    assert order["lines"][0]["item"] == {"itemId": "i-3", "name": "iPod shuffle", "price": "49.95"}
    fetched = requests.get(f"{url}/orders/{order['orderId']}")
    assert fetched.status_code == 200
    assert fetched.json() == order
    second = requests.post(f"{url}/orders", json=body(customerId="c-1")).json()
    page = requests.get(f"{url}/orders", params={"page": 0, "size": 1}).json()
    assert (page["total"], page["size"], len(page["items"])) == (2, 1, 1)
    both = requests.get(f"{url}/orders").json()["items"]
    assert {o["orderId"] for o in both} == {order["orderId"], second["orderId"]}


def test_catalogues_are_listed(serve: Callable[[str], str]) -> None:
    url = serve("order")
    wait_up(url)
    customers = requests.get(f"{url}/customers").json()
    items = requests.get(f"{url}/items").json()
    assert [c["customerId"] for c in customers] == ["c-1", "c-2", "c-3", "c-4"]
    assert {"itemId": "i-3", "name": "iPod shuffle", "price": "49.95"} in items
    assert len(items) == 5


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        (body(customerId="c-404"), ["body", "customerId"]),
        (body(lines=[{"count": 1, "itemId": "i-404"}]), ["body", "lines", 0, "itemId"]),
        (body(lines=[{"count": 0, "itemId": "i-1"}]), ["body", "lines", 0, "count"]),
        (body(lines=[{"count": 10**30, "itemId": "i-1"}]), ["body", "lines", 0, "count"]),
        (body(lines=[]), ["body", "lines"]),
        (body(shippingAddress={**HOME, "zip": "1"}), ["body", "shippingAddress", "zip"]),
        (body(billingAddress={**HOME, "city": "a\x00b"}), ["body", "billingAddress", "city"]),
        ({k: v for k, v in body().items() if k != "billingAddress"}, ["body", "billingAddress"]),
        (body(extra=1), ["body", "extra"]),
    ],
)
def test_invalid_orders_are_422_naming_the_field(
    serve: Callable[[str], str], payload: dict[str, Any], loc: list[Any]
) -> None:
    url = serve("order")
    wait_up(url)
    response = requests.post(f"{url}/orders", json=payload)
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert requests.get(f"{url}/orders").json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/orders/{uuid.uuid4()}", 404),
        ("/orders/not-a-uuid", 422),
        ("/orders?page=-1", 422),
        ("/orders?size=99999999999999999999999", 422),
        ("/orders?page=%00", 422),
    ],
)
def test_order_reads_refuse_bad_input_without_500(
    serve: Callable[[str], str], path: str, status: int
) -> None:
    url = serve("order")
    wait_up(url)
    assert requests.get(url + path).status_code == status


def test_post_with_undecodable_body_is_a_documented_400(serve: Callable[[str], str]) -> None:
    url = serve("order")
    wait_up(url)
    for body, detail in (
        (b"\xff\xfe{", "There was an error parsing the body"),  # not even text: FastAPI's
        (b'{"customerId": ', "the body is not JSON: "),  # text, but not JSON: ours
    ):
        response = requests.post(
            f"{url}/orders", data=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith(detail)
    # A JSON body of the wrong shape is still a 422 naming the field.
    response = requests.post(f"{url}/orders", json={"customerId": 7})
    assert response.status_code == 422
    assert any(error["loc"][:2] == ["body", "customerId"] for error in response.json()["detail"])


def raw_order(count: str = "1", street: str = '"Main 1"') -> bytes:
    """An order body as JSON text, so that values json.dumps would not write can be sent."""
    text = (
        '{"customerId": "c-1", "shippingAddress": {"street": STREET, "zip": "10115", '
        '"city": "Berlin"}, "billingAddress": {"street": "B 2", "zip": "20095", '
        '"city": "Hamburg"}, "lines": [{"count": COUNT, "itemId": "i-1"}]}'
    )
    text = text.replace("STREET", street).replace("COUNT", count)
    return text.encode()


def post_raw(url: str, data: bytes) -> requests.Response:
    return requests.post(
        f"{url}/orders", data=data, headers={"content-type": "application/json"}, timeout=10
    )


def test_counts_that_are_not_json_schema_integers_are_422_not_500(
    serve: Callable[[str], str],
) -> None:
    url = serve("order")
    wait_up(url)
    for count in ("1e400", "NaN", "Infinity", "-Infinity", "true", '"2"', "2.5", "null"):
        response = post_raw(url, raw_order(count=count))
        assert response.status_code == 422, (count, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "lines", 0, "count"], count
        assert error["type"] == "int_type", count
    assert requests.get(f"{url}/orders").json()["total"] == 0
    # JSON Schema's integer includes 2.0 (no fractional part): the OpenAPI's own meaning.
    for count in ("2", "2.0", "2e0"):
        accepted = post_raw(url, raw_order(count=count))
        assert accepted.status_code == 201, (count, accepted.text)
        assert accepted.json()["lines"][0]["count"] == 2


def test_a_lone_surrogate_is_422_and_echoed_escaped(serve: Callable[[str], str]) -> None:
    url = serve("order")
    wait_up(url)
    response = post_raw(url, raw_order(street='"\\ud800"'))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "shippingAddress", "street"]
    assert error["input"] == "\\ud800"
    response = post_raw(url, b'{"\\udfff": 1}')  # even as a field name
    assert response.status_code == 422, response.text
    assert "\\udfff" in response.text


def test_bodies_over_64_kib_are_413_and_no_input_is_echoed_past_200_characters(
    serve: Callable[[str], str],
) -> None:
    url = serve("order")
    wait_up(url)
    huge = post_raw(url, raw_order(street='"' + "x" * 10_000_000 + '"'))
    assert huge.status_code == 413, huge.text[:200]
    assert huge.json() == {"detail": "the body is larger than 65536 bytes"}
    chunked = requests.post(  # no Content-Length: the limit counts what arrives
        f"{url}/orders",
        data=iter([b'{"customerId": "', b"x" * 70_000, b'"}']),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert chunked.status_code == 413, chunked.text[:200]
    long = post_raw(url, raw_order(street='"' + "x" * 60_000 + '"'))
    assert long.status_code == 422
    assert len(long.content) < 2000
    [error] = long.json()["detail"]
    assert error["input"].startswith("x" * 200)
    assert error["input"].endswith("... (60000 characters)")


def test_deliveries_by_id_and_by_order(
    service: Callable[[str], ServiceRuntime],
) -> None:
    runtime = service("shipping")
    event = sample_order_accepted()
    delivery = handle_order_accepted(event, runtime.uow_factory())
    with HttpServer(runtime.app) as server:
        wait_up(server.url)
        one = requests.get(f"{server.url}/deliveries/{delivery.delivery_id}")
        assert one.status_code == 200
        assert one.json()["orderId"] == event["data"]["orderId"]
        assert "price" not in str(one.json())
        by_order = requests.get(
            f"{server.url}/deliveries", params={"orderId": event["data"]["orderId"]}
        ).json()
        assert [d["deliveryId"] for d in by_order["items"]] == [str(delivery.delivery_id)]
        other = requests.get(f"{server.url}/deliveries", params={"orderId": str(uuid.uuid4())})
        assert other.json()["total"] == 0
        assert requests.get(f"{server.url}/deliveries/{uuid.uuid4()}").status_code == 404
        assert requests.get(f"{server.url}/deliveries?orderId=x").status_code == 422


def test_invoices_by_order(serve: Callable[[str], str]) -> None:
    url = serve("invoicing")
    wait_up(url)
    assert requests.get(f"{url}/invoices").json() == {
        "items": [],
        "page": 0,
        "size": 20,
        "total": 0,
    }
    assert requests.get(f"{url}/invoices/{uuid.uuid4()}").status_code == 404


def test_health_is_503_until_ready(service: Callable[[str], ServiceRuntime]) -> None:
    from reference_services.order.entrypoints import create_app

    state = {"ready": False}
    app = create_app(
        service("order").uow_factory,
        ready=lambda: (state["ready"], None if state["ready"] else "waiting for partitions"),
    )
    with HttpServer(app) as server:
        wait_up(server.url)
        waiting = requests.get(f"{server.url}/health")
        assert (waiting.status_code, waiting.json()["status"]) == (503, "starting")
        state["ready"] = True
        assert requests.get(f"{server.url}/health").status_code == 200


def test_405_lists_every_method_of_the_path(serve: Callable[[str], str]) -> None:
    url = serve("order")
    wait_up(url)
    response = requests.delete(f"{url}/orders")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_exported_openapi_documents_are_up_to_date() -> None:
    stale = stale_documents()
    assert stale == [], (
        f"{', '.join(map(str, stale))} out of date: run python -m reference_services.export_openapi"
    )
