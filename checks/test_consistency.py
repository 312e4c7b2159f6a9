"""Consistency: every accepted order gets exactly one invoice and one delivery within the SLA.

Places ``--accord-orders`` orders (default 200; 50 on the Atom transport) on the running
reference system, once per transport (``checks/conftest.py``), and checks,
with the engine's semantics, that each ``order.accepted`` is followed by one
``invoice.created`` and one ``delivery.created`` within the limit (``--accord-sla``,
default 60s), and that every order the API accepted (201) has its ``order.accepted``
(``untriggered`` otherwise). An event a consumer dead-letters fails the check at once; the
end-of-test audit is over a closed window (a key without a match is missing). The report
lands in ``--accord-report DIR``.
"""

from __future__ import annotations

import pytest

from accord.pytest_plugin import ConsistencyCheck
from accord.system import OrderClient

pytestmark = pytest.mark.e2e

#: The limit when neither --accord-sla nor the accord_sla ini key names one.
DEFAULT_SLA = "60s"
EXPECTED = ("invoice.created", "delivery.created")


def test_every_order_gets_one_invoice_and_one_delivery_in_time(
    accord_consistency: ConsistencyCheck, order_api: OrderClient, orders_to_place: int
) -> None:
    accord_consistency.record("order", "invoice", "delivery").track(order_api)
    for event_type in EXPECTED:
        accord_consistency.expect(event_type, default=DEFAULT_SLA)

    placed = [order_api.place() for _ in range(orders_to_place)]

    report = accord_consistency.assert_consistent()
    assert report["triggers"] == len(placed), (
        f"{len(placed)} orders were accepted over HTTP but {report['triggers']} "
        "order.accepted events reached topic 'order'"
    )
    for event_type in EXPECTED:
        assert report["expectations"][event_type]["ok"] == len(placed)
