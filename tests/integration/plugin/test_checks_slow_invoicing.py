"""``pytest checks/`` fails, naming the late orders, when invoicing is slowed past the SLA.

Runs the real consistency check of ``checks/`` in a subprocess, against the reference system
on an embedded broker, with the invoicing service slowed on purpose.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
ORDERS = 3


def test_slow_invoicing_fails_the_consistency_check_naming_each_late_order(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "checks/test_consistency.py",
            f"--accord-orders={ORDERS}",
            # 1.5 s per invoice: the n-th order's invoice comes after about n * 1.5 s.
            "--accord-invoicing-delay-ms=1500",
            "--accord-sla=invoice.created=1s",
            f"--accord-report={reports}",
            "-p", "no:cacheprovider",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = pytest.LineMatcher(done.stdout.splitlines())
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    out.fnmatch_lines(
        [
            "E       accord.pytest_plugin.SLAViolationError: SLA broken: "
            f"{ORDERS} of {ORDERS} order.accepted keys have violations ({ORDERS} late)",
            "E         late  invoice.created  key *: took *s, limit 1.0s (* late)",
            "*= accord SLA: order.accepted over 1 test =*",
            f"invoice.created       1s   0     {ORDERS}        0 *",
            f"NOT CONSISTENT: {ORDERS} violations ({ORDERS} late) over {ORDERS} "
            "order.accepted triggers",
            "FAILED checks/test_consistency.py::"
            "test_every_order_gets_one_invoice_and_one_delivery_in_time",
        ]
    )
    named = set(re.findall(r"late  invoice\.created  key ([0-9a-f-]{36}):", done.stdout))
    report = json.loads((reports / "report.json").read_text())
    late = {v["key"] for v in report["violations"] if v["kind"] == "late"}
    assert len(named) == ORDERS
    assert named == late
    assert report["expectations"]["delivery.created"]["ok"] == ORDERS
