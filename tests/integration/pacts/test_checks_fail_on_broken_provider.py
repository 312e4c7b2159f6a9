"""``pytest checks/contracts/test_provider.py`` itself fails on a broken order service, and the
failure a user sees names the consumer, the interaction and the JSON path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]

BREAKAGES = {
    "drop_billing": (
        "data.pop('billingAddress')",
        [
            "consumer 'invoicing'",
            "'an order.accepted event for an order to invoice'",
            "$.billingAddress",
        ],
    ),
    "rename_lines": (
        "data.__setitem__('items', data.pop('lines'))",
        ["consumer 'shipping'", "consumer 'invoicing'", "$.lines"],
    ),
    "price_number": (
        "[line['item'].__setitem__('price', float(line['item']['price'])) "
        "for line in data['lines']]",
        ["consumer 'invoicing'", "$.lines[0].item.price"],
    ),
}

PLUGIN = """
from reference_services.order.adapters import events

_original = events.order_data


def _broken(order):
    data = _original(order)
    {change}
    return data


events.order_data = _broken
"""


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_provider_check_fails(name: str, tmp_path: Path) -> None:
    change, expected = BREAKAGES[name]
    (tmp_path / f"accord_break_{name}.py").write_text(PLUGIN.format(change=change))
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "PACT_DO_NOT_TRACK": "true",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "checks/contracts/test_provider.py",
            "-k",
            "sqlite",
            "-p",
            f"accord_break_{name}",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "ContractViolationError: provider 'order' breaks the contract of" in out
    for text in expected:
        assert text in out, text
