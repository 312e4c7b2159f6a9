"""``--contracts``: each command's help says what it takes, and takes exactly that.

The schema commands, ``broker start`` and ``demo`` take a contracts directory or an AsyncAPI
3 document; the pact commands (``contracts usage|impact``, ``publish``, ``verify``) take
pacts, which an AsyncAPI document does not hold: given one, they exit 2 in one line before
anything starts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main

pytestmark = pytest.mark.unit

REPO = Path(__file__).parents[3]
ASYNCAPI = REPO / "contracts" / "asyncapi.yaml"
V1, V2 = (REPO / "contracts" / "schemas" / "order.accepted" / f"v{n}.json" for n in (1, 2))


def contracts_help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    """The help of ``--contracts`` as one line: its metavar and text, as ``--help`` shows."""
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.partition("\noptions:\n")[2].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  --contracts "))
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"  -|\S", lines[i])), len(lines)
    )
    return " ".join(" ".join(lines[start:end]).split()).removeprefix("--contracts ")


PACTS = (
    "DIR a directory of pact files, a contracts directory holding pacts/, or one pact file "
    "(not an AsyncAPI document: it holds no pacts)"
)
SCHEMAS = (
    "DIR|ASYNCAPI the event schemas for --enforce-schemas: a contracts directory with "
    "schemas/<type>/vN.json, or an AsyncAPI 3 document (its channels name the topics) "
    "(default: contracts)"
)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["contracts", "usage"], f"{PACTS} (default: contracts)"),
        (["contracts", "impact"], f"{PACTS}; the mode comes from compatibility.toml of the "
                                  "contracts directory (default: contracts)"),
        (["publish"], "DIR publish the pacts whose consumer is --pacticipant from "
                      f"{PACTS.removeprefix('DIR ')}"),
        (["verify"], f"DIR verify the pacts (no registry) of {PACTS.removeprefix('DIR ')}"),
        (["broker", "start"], SCHEMAS),
        (["demo"], SCHEMAS),
    ],
)  # fmt: skip
def test_the_help_says_what_contracts_takes(
    capsys: pytest.CaptureFixture[str], command: list[str], expected: str
) -> None:
    assert contracts_help(capsys, *command) == expected


@pytest.fixture(params=["yaml", "json"])
def asyncapi_document(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The reference AsyncAPI document, as YAML or as JSON, beside a pacts/ directory."""
    (tmp_path / "pacts").mkdir()
    if request.param == "yaml":
        path = tmp_path / "asyncapi.yaml"
        path.write_text(ASYNCAPI.read_text("utf-8"), "utf-8")
    else:
        path = tmp_path / "asyncapi.json"
        path.write_text(json.dumps({"asyncapi": "3.0.0", "info": {}, "channels": {}}), "utf-8")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["contracts", "usage"],
        ["contracts", "impact", str(V1), str(V2)],
        ["publish", "--pacticipant", "shipping", "--version", "1"],
        ["verify", "--provider", "order"],
    ],
)
def test_pact_commands_refuse_an_asyncapi_document_in_one_line(
    command: list[str],
    asyncapi_document: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import accord.cli._contracts as contracts

    def started(args: Any) -> Any:
        raise AssertionError("the provider was started before --contracts was checked")

    monkeypatch.setattr(contracts, "_adapter", started)
    monkeypatch.setenv("ACCORD_REGISTRY", str(tmp_path / "registry"))
    assert main([*command, "--contracts", str(asyncapi_document)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"accord: error: --contracts {asyncapi_document}: an AsyncAPI document holds no pacts; "
        f"pass --contracts DIR with the pact files, e.g. {tmp_path / 'pacts'} beside it\n"
    )
    assert not (tmp_path / "registry").exists()


def test_broker_start_takes_an_asyncapi_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import accord.broker
    from accord.schemas import export_tansu_registry

    # what `broker start --enforce-schemas` hands the broker: one schema per channel's topic
    written = export_tansu_registry(ASYNCAPI, tmp_path / "registry")
    assert sorted(path.name for path in written) == ["delivery.json", "invoice.json", "order.json"]

    def started(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the broker was started before --contracts was read")

    monkeypatch.setattr(accord.broker, "EmbeddedBroker", started)
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text("asyncapi: 3.0.0\nchannels: [\n", "utf-8")
    argv = ["broker", "start", "--enforce-schemas", "--port", "0", "--contracts", str(broken)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"accord: error: {broken}")
