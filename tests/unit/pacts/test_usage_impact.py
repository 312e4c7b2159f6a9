"""Usage matrix and schema-change impact, on the committed pacts and the v1 schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main
from accord.pacts import analyse_impact, load_pacts, usage_matrix, used_paths

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PACTS = ROOT / "contracts" / "pacts"
V1 = ROOT / "contracts" / "schemas" / "order.accepted" / "v1.json"


@pytest.fixture
def v1() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(V1.read_text())
    return data


def _write(tmp_path: Path, schema: dict[str, Any], name: str = "new.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(schema))
    return path


def test_used_paths_flattens_objects_and_arrays() -> None:
    body = {"a": {"b": 1}, "lines": [{"count": 1, "item": {"price": "1.00"}}], "e": []}
    assert list(used_paths(body)) == [
        "a",
        "a.b",
        "lines",
        "lines[*].count",
        "lines[*].item",
        "lines[*].item.price",
        "e",
    ]


def test_usage_matrix_shows_who_uses_which_field() -> None:
    matrix = usage_matrix(load_pacts([PACTS]))
    fields = matrix["messages"]["order.accepted"]["fields"]
    assert matrix["messages"]["order.accepted"]["consumers"] == ["invoicing", "shipping"]
    assert fields["data.orderId"] == ["invoicing", "shipping"]
    assert fields["data.shippingAddress.zip"] == ["shipping"]
    assert fields["data.billingAddress.zip"] == ["invoicing"]
    assert fields["data.lines[*].item.price"] == ["invoicing"]
    assert fields["metadata.ce_type"] == ["invoicing", "shipping"]
    assert "data.acceptedAt" not in fields  # nobody relies on it
    http = matrix["http"][f"order GET /orders/{'6d5f8a2e-0b7c-4c1e-9a3d-2f4b6c8d0e1f'}"]
    # Shipping's support tool and invoicing's Atom poller (details of a links-only entry).
    assert http["fields"]["body.customer.email"] == ["invoicing", "shipping"]
    assert http["fields"]["body.shippingAddress.zip"] == ["shipping"]
    feed = matrix["http"]["order GET /feed"]["fields"]
    assert feed["body.feed.entry.ac:position"] == ["invoicing", "shipping"]


def test_usage_cli_markdown_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "usage", "--contracts", str(ROOT / "contracts")]) == 0
    out = capsys.readouterr().out
    assert "| field | invoicing | shipping |" in out
    assert "| `data.lines[*].item.price` | ✓ |  |" in out
    assert main(["contracts", "usage", "--contracts", str(PACTS), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"]["order.accepted"]["fields"]["data.customer.name"] == [
        "invoicing",
        "shipping",
    ]


def test_usage_cli_bad_directory_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contracts", "usage", "--contracts", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["contracts", "usage", "--contracts", str(tmp_path)]) == 2
    assert "broken.json: cannot read pact file" in capsys.readouterr().err


def test_dropping_billing_address_breaks_invoicing_only(v1: dict[str, Any]) -> None:
    new = copy.deepcopy(v1)
    del new["properties"]["billingAddress"]
    new["required"].remove("billingAddress")
    report = analyse_impact(v1, new, load_pacts([PACTS]))
    assert report.broken_consumers == ["invoicing"]
    (change,) = [c for c in report.changes if c.path == "billingAddress"]
    assert (change.kind, change.used_by) == ("removed", ("invoicing",))


def test_renaming_lines_breaks_both(v1: dict[str, Any]) -> None:
    new = copy.deepcopy(v1)
    new["properties"]["items"] = new["properties"].pop("lines")
    new["required"] = ["items" if r == "lines" else r for r in new["required"]]
    report = analyse_impact(v1, new, load_pacts([PACTS]))
    (change,) = report.changes
    assert (change.kind, change.detail) == ("renamed", "renamed to items")
    assert report.broken_consumers == ["invoicing", "shipping"]


def test_price_as_number_breaks_invoicing_not_shipping(v1: dict[str, Any]) -> None:
    new = copy.deepcopy(v1)
    new["properties"]["lines"]["items"]["properties"]["item"]["properties"]["price"] = {
        "type": "number"
    }
    report = analyse_impact(v1, new, load_pacts([PACTS]))
    kinds = {(c.kind, c.path) for c in report.changes}
    assert ("retyped", "lines[*].item.price") in kinds
    assert report.broken_consumers == ["invoicing"]


def test_flagged_by_schema_rules_but_safe_for_consumers(
    v1: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = copy.deepcopy(v1)
    new["properties"]["giftWrap"] = {"type": "boolean"}
    new["required"].append("giftWrap")
    del new["properties"]["acceptedAt"]
    new["required"].remove("acceptedAt")
    code = main(
        [
            "contracts",
            "impact",
            str(V1),
            str(_write(tmp_path, new)),
            "--contracts",
            str(ROOT / "contracts"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "schema compatibility (FULL_TRANSITIVE): incompatible" in out
    assert "verdict: safe for today's consumers: schema compatibility rules" in out


def test_accepted_by_schema_rules_but_breaks_a_consumer(
    v1: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = copy.deepcopy(v1)
    new["required"].remove("total")  # BACKWARD-compatible: new readers accept old data
    code = main(
        [
            "contracts",
            "impact",
            str(V1),
            str(_write(tmp_path, new)),
            "--contracts",
            str(ROOT / "contracts"),
            "--mode",
            "BACKWARD",
            "--format",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["schemaRulesFlag"] == []
    assert report["brokenConsumers"] == ["invoicing"]
    assert report["verdict"].startswith("BREAKS invoicing although schema compatibility rules")


def test_impact_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "impact", str(V1), str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    assert main(["contracts", "impact", str(V1), str(bad), "--contracts", str(PACTS)]) == 2
    assert "bad.json: not a JSON schema" in capsys.readouterr().err


def test_order_accepted_v2_affects_invoicing_only_and_breaks_nobody() -> None:
    """The shipped evolution: v2 adds currency, which invoicing's pact now uses."""
    schemas = ROOT / "contracts" / "schemas" / "order.accepted"
    v1 = json.loads((schemas / "v1.json").read_text())
    v2 = json.loads((schemas / "v2.json").read_text())
    pacts = load_pacts([PACTS])
    report = analyse_impact(v1, v2, pacts, mode="FULL_TRANSITIVE")
    assert [(c.kind, c.path, c.used_by) for c in report.changes] == [
        ("added-optional", "currency", ("invoicing",))
    ]
    assert report.schema_flags == [] and report.broken_consumers == []
    assert report.verdict == "safe for today's consumers"
    fields = usage_matrix(pacts)["messages"]["order.accepted"]["fields"]
    assert fields["data.currency"] == ["invoicing"]
