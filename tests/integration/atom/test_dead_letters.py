"""A poller's dead letters over HTTP (``/dead-letters``): an order entry shipping cannot
process is dead-lettered by the real poller, served as a dead-lettered CloudEvent, and
counted ``dead_lettered`` with the poller's reason by the pytest plugin (at once, not after
the SLA) and by ``accord audit``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

from accord.cli import main
from accord.sources import open_source
from reference_services.bootstrap import RunningService, running
from reference_services.common.atom.parse import parse_page
from reference_services.common.outbox import Outbox
from reference_services.order.adapters import orm as order_orm
from reference_services.samples import sample_order_accepted

pytestmark = pytest.mark.integration

pytest_plugins = ["pytester"]

REASON = "UnprocessableEvent: "


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[RunningService, RunningService]]:
    with running("order", transport="atom") as order:
        feed = f"{order.url}/feed"
        with running("shipping", transport="atom", order_feed=feed, poll_interval_ms=20) as ship:
            yield order, ship


def _publisher(order: RunningService) -> Callable[[], dict[str, Any]]:
    """Publishes an order.accepted without a shipping address through the order outbox."""

    def publish() -> dict[str, Any]:
        event = sample_order_accepted()
        del event["data"]["shippingAddress"]
        with Session(order.runtime.engine) as session, session.begin():
            Outbox(session, order_orm.outbox).add("order", event)
        relay = order.runtime.relay
        assert relay is not None
        relay.wake()
        return event

    return publish


def _dead_letters(url: str) -> list[Any]:
    resp = requests.get(url, timeout=5)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/atom+xml")
    return parse_page(resp.content, url).entries


def test_the_poller_serves_its_dead_letter_and_audit_counts_it(
    services: tuple[RunningService, RunningService], capsys: pytest.CaptureFixture[str]
) -> None:
    order, ship = services
    url = f"{ship.url}/dead-letters"
    before = len(_dead_letters(url))
    event = _publisher(order)()
    deadline = time.monotonic() + 15
    while len(entries := _dead_letters(url)) == before:
        assert time.monotonic() < deadline, "not dead-lettered within 15 s"
        time.sleep(0.05)
    # Nothing new after it: a conditional GET is a 304, as for /feed.
    resp = requests.get(url, timeout=5)
    again = requests.get(url, headers={"If-None-Match": resp.headers["ETag"]}, timeout=5)
    assert again.status_code == 304
    served = entries[-1].event
    assert served is not None
    assert {k: v for k, v in served.items() if not k.startswith("deadletter")} == event
    assert served["deadletterreason"].startswith(REASON)
    assert "shippingAddress" in served["deadletterreason"]
    assert served["deadletterorigin"].startswith(f"{order.url}/feed")
    # accord reads it as a source and counts the order dead-lettered, with the reason.
    read = list(open_source(f"atom+{url}"))
    assert any(e.get("id") == event["id"] for e, _ in read)
    code = main(
        [
            "audit",
            f"atom+{order.url}/feed,atom+{url}",
            "--trigger",
            "order.accepted",
            "--expect",
            "delivery.created=1h",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"dead-lettered: order.accepted key={event['partitionkey']}" in err
    assert "NOT CONSISTENT: 1 violation (1 dead_lettered)" in out, out
    assert f"dead_lettered  order.accepted  key={event['partitionkey']}" in out
    assert "/feed#position=" in out and f"{REASON}/shippingAddres" in out


INNER = """
import pytest

@pytest.mark.accord_sla(delivery_created="60s")
def test_dead_lettered_fails_at_once(accord_consistency, publish_poison):
    accord_consistency.record("order", "delivery")
    publish_poison()
"""

CONFTEST = """
import pytest

@pytest.fixture
def accord_feeds(served_urls):
    order, shipping = served_urls
    return {"order": order + "/feed", "delivery": shipping + "/feed",
            "order.dlq": shipping + "/dead-letters"}
"""


class Plugin:
    def __init__(self, order: RunningService, ship: RunningService) -> None:
        self._order, self._ship = order, ship

    @pytest.fixture
    def served_urls(self) -> tuple[str, str]:
        return self._order.url, self._ship.url

    @pytest.fixture
    def publish_poison(self) -> Callable[[], dict[str, Any]]:
        return _publisher(self._order)


def test_the_plugin_fails_at_once_naming_the_pollers_reason(
    pytester: pytest.Pytester, services: tuple[RunningService, RunningService]
) -> None:
    pytester.makepyfile(INNER)
    pytester.makeconftest(CONFTEST)
    contracts = Path(__file__).resolve().parents[3] / "contracts"
    started = time.monotonic()
    result = pytester.runpytest(
        "--accord-transport",
        "atom",
        "--accord-contracts",
        str(contracts),
        plugins=[Plugin(*services)],
    )
    took = time.monotonic() - started
    result.assert_outcomes(failed=1)
    # The poison also breaks the schema (a consumer rejects what the contract forbids); the
    # failure names the poller's dead letter with its reason, before the 60 s SLA.
    result.stdout.fnmatch_lines(
        [
            "*1 order.accepted event dead-lettered by a consumer: "
            f"{REASON}/shippingAddress: missing",
            "*SLA broken: 1 of 1 order.accepted keys have violations (1 dead_lettered, 1 missing)",
            "*dead_lettered  order.accepted    key *: a consumer dead-lettered order.accepted "
            f"(http://127.0.0.1:*/feed#position=*): {REASON}/shippingAddress: missing",
        ]
    )
    assert took < 30, took  # the SLA is 60 s


def test_a_followed_audit_counts_a_dead_letter_as_it_comes(
    services: tuple[RunningService, RunningService], tmp_path: Path
) -> None:
    import json
    import signal
    import subprocess
    import sys

    from accord.consistency import eventually

    order, ship = services
    stderr = tmp_path / "stderr"
    with stderr.open("w") as err:
        audit = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accord.cli",
                "audit",
                f"atom+{order.url}/feed,atom+{ship.url}/dead-letters",
                "--follow",
                "--trigger",
                "order.accepted",
                "--expect",
                "delivery.created=1h",
                "--format",
                "json",
                "--report-dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        event = _publisher(order)()
        line = f"accord: dead-lettered: order.accepted key={event['partitionkey']}"
        eventually(lambda: line in stderr.read_text(), within="20s")
    finally:
        audit.send_signal(signal.SIGTERM)
        audit.wait(30)
    assert f"{REASON}/shippingAddress: missing" in stderr.read_text()
    report = json.loads((tmp_path / "report.json").read_text())
    dead = [v for v in report["violations"] if v["kind"] == "dead_lettered"]
    assert event["partitionkey"] in {v["key"] for v in dead}
    assert all("/shippingAddress: missing" in v["detail"] for v in dead)
