"""The plugin's fixtures against a real broker, seen the way a user sees them (pytester).

One inner pytest run holds passing and failing tests at once, so the embedded broker of the
outer session is shared and no consumer group is joined (the recorder assigns partitions).
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.broker import EmbeddedBroker

pytestmark = pytest.mark.integration

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"

HELPERS = '''
from __future__ import annotations

import uuid
from datetime import datetime

from accord.events import make_event

ADDRESS = {"street": "Main Street 1", "zip": "12345", "city": "Springfield"}
CUSTOMER = {"customerId": "c-1", "name": "Ada", "email": "ada@example.com"}


def order_accepted(order_id: str, at: datetime) -> dict:
    data = {
        "orderId": order_id,
        "customer": CUSTOMER,
        "shippingAddress": ADDRESS,
        "billingAddress": ADDRESS,
        "lines": [{"count": 1, "item": {"itemId": "i-1", "name": "Pen", "price": "2.50"}}],
        "total": "2.50",
        "acceptedAt": at.isoformat(),
    }
    return make_event("order.accepted", "/reference/order", data, key=order_id, time=at,
                      dataschema="urn:accord:schemas:order.accepted:v1")


def invoice_created(order_id: str, at: datetime, total: str = "2.50") -> dict:
    data = {
        "invoiceId": str(uuid.uuid4()),
        "orderId": order_id,
        "customer": CUSTOMER,
        "billingAddress": ADDRESS,
        "lines": [{"count": 1, "itemId": "i-1", "name": "Pen", "unitPrice": "2.50",
                   "amount": "2.50"}],
        "total": total,
        "currency": "EUR",
        "createdAt": at.isoformat(),
    }
    return make_event("invoice.created", "/reference/invoicing", data, key=order_id, time=at,
                      dataschema="urn:accord:schemas:invoice.created:v1")
'''

CONFTEST = '''
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from kafka import KafkaProducer

from accord.events import to_kafka


@pytest.fixture
def produce(accord_broker):
    producer = KafkaProducer(**accord_broker.producer_config())

    def send(topic: str, event: dict) -> None:
        message = to_kafka(event)
        producer.send(topic, key=message.key, value=message.value,
                      headers=message.headers).get(timeout=10)

    yield send
    producer.close()


@pytest.fixture
def dead_letter(accord_broker):
    """Copies an event to order.dlq the way the reference consumers dead-letter it."""
    producer = KafkaProducer(**accord_broker.producer_config())

    def send(event: dict, reason: str) -> None:
        message = to_kafka(event)
        headers = [*message.headers, ("accord-error", reason.encode()),
                   ("accord-origin", b"order/0@0")]
        producer.send("order.dlq", key=message.key, value=message.value,
                      headers=headers).get(timeout=10)

    yield send
    producer.close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def order_id() -> str:
    return str(uuid.uuid4())
'''

TESTS = '''
from __future__ import annotations

from datetime import timedelta

import pytest

from helpers import invoice_created, order_accepted


def test_records_and_waits(accord_events, produce, now, order_id):
    accord_events.record("order", "invoice")
    produce("order", order_accepted(order_id, now))
    event = accord_events.wait_for("order.accepted", key=order_id, within="10s")
    assert event["data"]["orderId"] == order_id


def test_records_only_what_comes_after_record(accord_events, produce, now, order_id):
    produce("order", order_accepted("before-" + order_id, now))
    accord_events.record("order")
    produce("order", order_accepted(order_id, now))
    accord_events.wait_for("order.accepted", key=order_id, within="10s")
    accord_events.drain()
    assert [e["partitionkey"] for e in accord_events.events] == [order_id]


def test_bad_invoice(accord_events, produce, now, order_id):
    accord_events.record("invoice")
    produce("invoice", invoice_created(order_id, now, total="2.505"))
    accord_events.wait_for("invoice.created", key=order_id, within="10s")


def test_wait_for_gives_up(accord_events, produce, now, order_id):
    accord_events.record("order", "invoice")
    produce("order", order_accepted(order_id, now))
    accord_events.wait_for("invoice.created", key=order_id, within="300ms")


@pytest.mark.accord_sla(invoice_created="1s")
def test_invoice_on_time(accord_consistency, produce, now, order_id):
    accord_consistency.record("order", "invoice")
    produce("order", order_accepted(order_id, now))
    produce("invoice", invoice_created(order_id, now + timedelta(milliseconds=250)))


@pytest.mark.accord_sla(invoice_created="1s")
def test_invoice_late(accord_consistency, produce, now, order_id):
    accord_consistency.record("order", "invoice")
    produce("order", order_accepted(order_id, now))
    produce("invoice", invoice_created(order_id, now + timedelta(milliseconds=2500)))


@pytest.mark.accord_sla(invoice_created="2s")
def test_no_trigger_decides_nothing(accord_consistency, produce, now, order_id):
    accord_consistency.record("order", "invoice")
    produce("invoice", invoice_created(order_id, now))
    accord_consistency.assert_consistent(timeout_s=5)


@pytest.mark.accord_sla(invoice_created="30s")
def test_dead_lettered_fails_at_once(accord_consistency, produce, dead_letter, now, order_id):
    accord_consistency.record("order", "invoice")
    produce("order", order_accepted(order_id, now))
    dead_letter(order_accepted(order_id, now), "UnprocessableEvent: /data/lines: too short")


@pytest.mark.accord_sla(invoice_created="1500ms")
def test_accepted_order_without_trigger(accord_consistency, produce, now, order_id):
    from accord.system import PlacedOrder

    class Client:
        accepted = [PlacedOrder("before-the-test", 0.0)]

    client = Client()
    accord_consistency.record("order", "invoice").track(client)
    client.accepted += [PlacedOrder(order_id, 0.0), PlacedOrder("lost-" + order_id, 0.0)]
    produce("order", order_accepted(order_id, now))
    produce("invoice", invoice_created(order_id, now))


@pytest.mark.accord_sla(invoice_created="1200ms")
def test_poison_in_the_dead_letter_topic_is_not_a_schema_problem(
    accord_consistency, accord_broker, produce, now, order_id
):
    from kafka import KafkaProducer

    accord_consistency.record("order", "invoice")
    producer = KafkaProducer(**accord_broker.producer_config())
    producer.send("order.dlq", key=b"poison", value=b"not JSON",
                  headers=[("accord-error", b"EventDecodeError: no ce_ headers")]).get(timeout=10)
    producer.close()
    produce("order", order_accepted(order_id, now))
    produce("invoice", invoice_created(order_id, now))


def test_wait_for_stops_at_a_dead_letter(accord_events, produce, dead_letter, now, order_id):
    accord_events.record("order", "order.dlq", "invoice")
    dead_letter(order_accepted(order_id, now), "UnprocessableEvent: no such item")
    accord_events.wait_for("invoice.created", key=order_id, within="30s")


def test_wait_for_stops_at_a_schema_violation(accord_events, produce, now, order_id):
    accord_events.record("order", "invoice")
    produce("invoice", invoice_created(order_id, now, total="2.505"))
    accord_events.wait_for("delivery.created", key=order_id, within="30s")
'''


@dataclass
class Run:
    ret: int
    stdout: pytest.LineMatcher
    dir: Path


@pytest.fixture(scope="module")
def run(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One inner pytest run in a subprocess, shared by the assertions below."""
    project = tmp_path_factory.mktemp("user-project")
    (project / "helpers.py").write_text(HELPERS)
    (project / "conftest.py").write_text(CONFTEST)
    (project / "test_user.py").write_text(TESTS)
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest",
            f"--accord-kafka={broker.bootstrap_servers}",
            f"--accord-contracts={CONTRACTS}",
            f"--accord-report={project / 'reports'}",
            f"--junitxml={project / 'junit.xml'}",
            "-p", "no:cacheprovider",
            "-W", "ignore::DeprecationWarning",  # kafka-python's, not the user's concern here
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(done.returncode, pytest.LineMatcher(done.stdout.splitlines()), project)


def test_outcomes(run: Run) -> None:
    assert run.ret == 1
    run.stdout.fnmatch_lines(["*= 8 failed, 4 passed*"])


def test_schema_violation_fails_the_test_that_produced_it(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*_ test_bad_invoice _*",
            "E   accord.pytest_plugin.EventSchemaError: "
            "1 event broke the schema contract during this test: "
            "invoice/*@* invoice.created id=* key=*: /data/total: "
            'expected a string matching *, got "2.505" (pattern)',
            "    fix the producer, or change the schema in */contracts with a new version",
        ]
    )


def test_no_trigger_names_what_was_read(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*_ test_no_trigger_decides_nothing _*",
            "E       accord.pytest_plugin.SLAViolationError: NOTHING DECIDED: read 1 "
            "invoice.created, no order.accepted (recording order, invoice, order.dlq, "
            "invoice.dlq)",
            "E       SLA broken: 1 orphaned",
        ]
    )


def test_a_dead_letter_fails_the_test_without_waiting_out_the_sla(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*_ test_dead_lettered_fails_at_once _*",
            "E   accord.pytest_plugin.SLAViolationError: 1 order.accepted event dead-lettered by"
            " a consumer: UnprocessableEvent: /data/lines: too short",
            "    SLA broken: 1 of 1 order.accepted keys have violations (1 dead_lettered, "
            "1 missing)",
            "      dead_lettered  order.accepted   key *: a consumer dead-lettered "
            "order.accepted (order/0@0): UnprocessableEvent: /data/lines: too short",
        ]
    )
    root = ET.parse(run.dir / "junit.xml").getroot()
    case = next(c for c in root.iter("testcase")
                if c.get("name") == "test_dead_lettered_fails_at_once")
    assert float(case.get("time", "99")) < 10  # the SLA is 30 s
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["accord.dead_lettered"] == "1"


def test_an_accepted_order_without_trigger_is_untriggered(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*_ test_accepted_order_without_trigger _*",
            "E   accord.pytest_plugin.SLAViolationError: 1 of 2 accepted orders have no "
            "order.accepted event",
            "    SLA broken: 1 untriggered",
            "      untriggered  order.accepted  key lost-*: order lost-* was accepted but no "
            "order.accepted with this key was read",
        ]
    )


def test_wait_for_fails_at_once_with_the_cause(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "E       accord.pytest_plugin.EventDeadLettered: a consumer dead-lettered "
            "order.accepted with key * (order/0@0, in order.dlq/*@*): UnprocessableEvent: no "
            "such item; stopped waiting for invoice.created with key *",
        ]
    )
    run.stdout.fnmatch_lines(
        [
            "*_ test_wait_for_stops_at_a_schema_violation _*",
            "E       accord.pytest_plugin.EventSchemaError: 1 event broke the schema contract "
            "during this test: invoice/*@* invoice.created id=* key=*: /data/total: *",
            "E       (found while waiting for delivery.created with key *)",
        ]
    )
    root = ET.parse(run.dir / "junit.xml").getroot()
    for name in ("test_wait_for_stops_at_a_dead_letter",
                 "test_wait_for_stops_at_a_schema_violation"):
        case = next(c for c in root.iter("testcase") if c.get("name") == name)
        assert float(case.get("time", "99")) < 10  # within="30s"


def test_wait_for_names_what_it_saw_instead(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            ">       accord_events.wait_for(\"invoice.created\", key=order_id, within=\"300ms\")",
            "E       accord.pytest_plugin.EventWaitTimeout: "
            "no invoice.created with key * arrived within 300ms; "
            "for that key it saw order.accepted at order/*@* (recording order, invoice)",
        ]
    )


def test_sla_violation_names_key_lateness_and_limit(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*_ test_invoice_late _*",
            "E   accord.pytest_plugin.SLAViolationError: "
            "SLA broken: 1 of 1 order.accepted keys have violations (1 late)",
            "      late  invoice.created  key *: took 2.5s, limit 1s (1.5s late)",
        ]
    )


def test_terminal_summary_shows_the_sla_table(run: Run) -> None:
    run.stdout.fnmatch_lines(
        [
            "*= accord SLA: order.accepted over 2 tests =*",
            "type             within  ok  late  missing  pending  duplicated  orphaned  mismatched"
            "    p50   p90   p99   max",
            "---------------  ------  *",
            "invoice.created      1s   1     1        0        0           0         0           0"
            "  2*ms  2.5s  2.5s  2.5s",
            "violations:",
            "  late  invoice.created  key=*  invoice.created after 2.5s > 1s",
            "NOT CONSISTENT: 1 violation (1 late) over 2 order.accepted triggers",
            "accord reports: */reports/report.json, */reports/junit.xml, */reports/report.html*",
        ]
    )


def test_reports_and_junit_properties(run: Run) -> None:
    # one group per trigger and limits: the first in reports/, the others in group-N/
    assert sorted(p.name for p in (run.dir / "reports").iterdir() if p.is_file()) == [
        "junit.xml",
        "report.html",
        "report.json",
    ]
    root = ET.parse(run.dir / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    suite_props: dict[str | None, str | None] = {}
    for prop in suite.findall("properties/property"):  # the first group's come first
        suite_props.setdefault(prop.get("name"), prop.get("value"))
    assert suite_props["accord.invoice.created.late"] == "1"
    assert suite_props["accord.invoice.created.ok"] == "1"
    late_case = next(c for c in root.iter("testcase") if c.get("name") == "test_invoice_late")
    case_props = {p.get("name"): p.get("value") for p in late_case.iter("property")}
    assert float(case_props["accord.invoice.created.p99_s"]) == pytest.approx(2.5)


def test_the_report_says_where_it_came_from(run: Run, broker: EmbeddedBroker) -> None:
    origin = json.loads((run.dir / "reports" / "report.json").read_text("utf-8"))["origin"]
    assert origin["command"].startswith("pytest --accord-kafka=")
    assert [s.split("/")[2] for s in origin["sources"]] == [broker.bootstrap_servers]
    assert origin["sources"][0].startswith("kafka://")
    assert origin["accord_version"] and origin["generated_at"].endswith("Z")
