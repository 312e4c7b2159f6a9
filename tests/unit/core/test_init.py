"""``accord init``: what it writes, what it refuses, and that its starter is contracts/."""

from __future__ import annotations

import filecmp
import tomllib
from pathlib import Path

import pytest

from accord.cli import main
from accord.schemas import SchemaRegistry

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
STARTER = REPO / "src" / "accord" / "schemas" / "_starter"


def test_the_starter_is_the_repository_contracts_byte_for_byte() -> None:
    """Regenerate with: rm -r src/accord/schemas/_starter/schemas && cp -r contracts/schemas
    contracts/compatibility.toml contracts/asyncapi.yaml src/accord/schemas/_starter/"""
    compared = filecmp.dircmp(REPO / "contracts" / "schemas", STARTER / "schemas")
    stack, mismatched = [compared], []
    while stack:
        d = stack.pop()
        mismatched += d.left_only + d.right_only + d.diff_files + d.funny_files
        stack += d.subdirs.values()
    assert mismatched == []
    for name in ("compatibility.toml", "asyncapi.yaml"):
        assert (STARTER / name).read_bytes() == (REPO / "contracts" / name).read_bytes(), name


def test_init_writes_contracts_and_a_tool_accord_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path)]) == 0
    registry = SchemaRegistry.from_directory(tmp_path / "contracts")
    assert registry.types == ("delivery.created", "invoice.created", "order.accepted")
    config = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert config == {"tool": {"accord": {"contracts": "contracts"}}}
    out = capsys.readouterr().out
    assert f'wrote {tmp_path / "pyproject.toml"}: [tool.accord] contracts = "contracts"' in out


def test_init_asyncapi_keeps_an_existing_pyproject(tmp_path: Path) -> None:
    original = '[project]\nname = "shop"\n\n[tool.accord.audit]\ntrigger = "order.accepted"\n'
    (tmp_path / "pyproject.toml").write_text(original)
    assert main(["init", "--asyncapi", str(tmp_path)]) == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith(original)
    config = tomllib.loads(text)
    assert config["project"] == {"name": "shop"}
    assert config["tool"]["accord"] == {
        "contracts": "asyncapi.yaml",
        "audit": {"trigger": "order.accepted"},
    }
    registry = SchemaRegistry.load(tmp_path / "asyncapi.yaml")
    assert registry.versions("order.accepted") == (1, 2)


@pytest.mark.parametrize(
    ("existing", "args", "message"),
    [
        ({"contracts/x": ""}, [], "contracts: already exists; accord init never overwrites"),
        ({"asyncapi.yaml": "a"}, ["--asyncapi"], "asyncapi.yaml: already exists"),
        ({"schemas/a.json": "{}"}, ["--asyncapi"], "schemas: already exists"),
        (
            {"pyproject.toml": '[tool.accord]\ncontracts = "c"\n'},
            [],
            "[tool.accord] already sets contracts = 'c'",
        ),
        (
            {"pyproject.toml": "[tool.accord]\nreport = 'r'\n"},
            [],
            'already has a [tool.accord] table; add contracts = "contracts" to it by hand',
        ),
        ({"pyproject.toml": "[tool.accord\n"}, [], "cannot read it"),
    ],
)
def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    existing: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, text in existing.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert main(["init", *args, str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    for name, text in existing.items():
        assert (tmp_path / name).read_text() == text
