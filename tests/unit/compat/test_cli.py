"""``accord schema compat``: exit codes, the exact JSON shape, text lines, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accord.cli import main

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
V1, V2, V3 = (str(DATA / "transitive" / f"v{i}.json") for i in (1, 2, 3))
REPO = Path(__file__).parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["schema", "compat", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compatible_exits_0_with_a_verdict_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, V1, V2)
    assert code == 0, err
    assert out.splitlines() == [f"compatible: {V2} may follow under BACKWARD"]


def test_incompatible_exits_1_with_one_line_per_breaking_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, V1, V2, V3, "--mode", "BACKWARD_TRANSITIVE")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        "#/properties/carrier: REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: "
        "v3 cannot read data written with v1: "
    )
    assert lines[-1] == f"INCOMPATIBLE: {V3} breaks BACKWARD_TRANSITIVE with 1 breaking change"
    assert len(lines) == 2


def test_plain_mode_passes_where_transitive_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, V1, V2, V3)[0] == 0
    assert run(capsys, V1, V2, V3, "--mode", "backward_transitive")[0] == 1


def test_json_format_has_exactly_the_documented_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, V1, V3, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert set(doc) == {"compatible", "mode", "policy", "changes"}
    assert doc["compatible"] is False and doc["mode"] == "BACKWARD"
    for change in doc["changes"]:
        assert {"path", "kind", "breaking", "message"} <= set(change)
        assert isinstance(change["breaking"], bool) and change["path"].startswith("#")
    breaking = [c for c in doc["changes"] if c["breaking"]]
    assert [(c["path"], c["kind"]) for c in breaking] == [
        ("#/properties/carrier", "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    ]
    assert ("#", "TITLE_CHANGED", False) in {
        (c["path"], c["kind"], c["breaking"]) for c in doc["changes"]
    }


def test_json_format_when_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, V1, V1, "--format", "json", "--mode", "FULL")
    assert code == 0
    assert json.loads(out) == {
        "compatible": True,
        "mode": "FULL",
        "policy": "strict",
        "changes": [],
    }


def test_not_compared_keywords_are_noted_in_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = tmp_path / "a.json"
    new = tmp_path / "b.json"
    old.write_text(json.dumps({"type": "string"}))
    new.write_text(json.dumps({"type": "string", "format": "email"}))
    code, out, _ = run(capsys, str(old), str(new))
    assert code == 0
    assert out.splitlines()[0] == (
        "note: #/format: NOT_COMPARED: 'format' changed from (absent) in a to \"email\" in b; "
        "Confluent's rules do not compare this, so check this change by hand"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([V1], "give at least two schema files"),
        ([V1], "give at least two schema files"),
        ([V1, "missing.json"], "missing.json: no such file"),
        ([V1, V2, "--mode", "SIDEWAYS"], "unknown --mode 'SIDEWAYS'"),
        ([V1, "--contracts", "contracts"], "either --contracts DIR|ASYNCAPI or schema files"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_file_that_is_not_json_is_named_with_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "v2.json"
    bad.write_text('{\n  "type": "string",\n  oops\n}\n')
    code, _, err = run(capsys, V1, str(bad))
    assert code == 2
    assert f"{bad}:3:3: not JSON" in err


def test_a_schema_with_a_dangling_ref_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "v2.json"
    bad.write_text(json.dumps({"properties": {"a": {"$ref": "#/$defs/nope"}}}))
    code, _, err = run(capsys, V1, str(bad))
    assert code == 2
    assert f"{bad}: #/properties/a: $ref '#/$defs/nope' names nothing" in err


def test_contracts_of_the_repository_are_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--contracts", str(REPO / "contracts"))
    assert code == 0, err
    lines = out.splitlines()
    assert "order.accepted: compatible (FULL_TRANSITIVE, 2 versions)" in lines
    assert "delivery.created: compatible (BACKWARD, 1 version)" in lines
    assert "invoice.created: compatible (BACKWARD, 1 version)" in lines


def test_contracts_versions_in_numeric_order_against_their_modes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--contracts", str(DATA / "contracts_broken"))
    assert code == 1
    lines = out.splitlines()
    # v1, v2, v10 in that order: v10 drops parcelId from v2's closed model
    assert lines == [
        "other.happened: compatible (FULL, 1 version)",
        "  #/properties/parcelId: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: v10 cannot read "
        "data written with v2: the v10 schema has a closed content model and drops this "
        "property, which data of the v2 schema may hold",
        "thing.happened: INCOMPATIBLE (BACKWARD, 3 versions): 1 breaking change",
    ]


def test_contracts_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--contracts", str(DATA / "contracts_broken"), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["compatible"] is False
    thing = doc["types"]["thing.happened"]
    assert thing["mode"] == "BACKWARD" and thing["compatible"] is False
    assert [Path(f).name for f in thing["files"]] == ["v1.json", "v2.json", "v10.json"]
    assert doc["types"]["other.happened"]["compatible"] is True


def test_contracts_with_a_bad_mode_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(DATA / "contracts_broken", tmp_path / "c")
    (tmp_path / "c" / "compatibility.toml").write_text('default = "SOMETIMES"\n')
    code, _, err = run(capsys, "--contracts", str(tmp_path / "c"))
    assert code == 2
    assert "default: unknown compatibility mode 'SOMETIMES'" in err
    code, _, err = run(capsys, "--contracts", str(tmp_path / "nowhere"))
    assert code == 2 and "no schemas directory" in err


def test_no_arguments_check_the_configured_contracts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DATA / "contracts_broken", tmp_path / "api")
    (tmp_path / "pyproject.toml").write_text('[tool.accord]\ncontracts = "api"\n')
    monkeypatch.chdir(tmp_path)

    code, out, err = run(capsys)
    assert code == 1
    assert err == f"accord: checking {tmp_path / 'api'} ([tool.accord] contracts)\n"
    assert (
        out.splitlines()[-1]
        == "thing.happened: INCOMPATIBLE (BACKWARD, 3 versions): 1 breaking change"
    )
    # the same as naming them
    assert run(capsys, "--contracts", "api")[1] == out
    code, _, err = run(capsys, "--mode", "FULL")
    assert code == 2 and "--mode does not apply to --contracts" in err


def test_no_arguments_take_the_default_contracts_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DATA / "contracts_broken", tmp_path / "contracts")
    monkeypatch.chdir(tmp_path)

    code, out, err = run(capsys, "--format", "json")
    assert code == 1 and json.loads(out)["compatible"] is False
    assert err == (
        f"accord: checking {tmp_path / 'contracts'} (the default: no [tool.accord] contracts)\n"
    )


def test_no_arguments_and_no_contracts_say_what_to_give(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"accord: error: nothing to check: {tmp_path / 'contracts'} does not exist; give two "
        "schema files oldest first (v1.json v2.json), --contracts DIR|ASYNCAPI, --asyncapi OLD "
        "NEW, or set [tool.accord] contracts in pyproject.toml\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.accord]\ncontracts = "asyncapi.yaml"\n')
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"accord: error: nothing to check: [tool.accord] contracts {tmp_path / 'asyncapi.yaml'} "
        "does not exist; "
    )
    assert err.endswith(", or fix [tool.accord] contracts in pyproject.toml\n")


def test_console_script_end_to_end() -> None:
    """The installed entry point, as CI calls it."""
    proc = subprocess.run(
        [sys.executable, "-m", "accord.cli", "schema", "compat", V1, V3, "--mode", "FULL"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"INCOMPATIBLE: {V3} breaks FULL")
