"""Confluent's two compatibility policies: strict (the default) and lenient.

Each rule where they differ gets a pair of schemas that strict refuses and lenient accepts,
and the CLI's ``--policy`` is checked on one of them; rules that lenient does not relax stay
breaking under both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accord.cli import main
from accord.schemas.compat import COMPATIBLE, LENIENT, LENIENT_ONLY, check_compatibility

pytestmark = pytest.mark.unit

OBJ: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}

DIFFERING = [
    # (kind, old, new, mode)
    (
        "ADDITIONAL_PROPERTIES_NARROWED",
        OBJ,
        {**OBJ, "additionalProperties": {"type": "string"}},
        "BACKWARD",
    ),
    ("ADDITIONAL_PROPERTIES_REMOVED", OBJ, {**OBJ, "additionalProperties": False}, "BACKWARD"),
    (
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        OBJ,
        {**OBJ, "properties": {**OBJ["properties"], "b": {"type": "integer"}}},
        "BACKWARD",
    ),
    (
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
        OBJ,
        {
            **OBJ,
            "properties": {**OBJ["properties"], "b": {"type": "integer", "default": 0}},
            "required": ["b"],
        },
        "BACKWARD",
    ),
]


def test_lenient_is_strict_plus_the_listed_kinds() -> None:
    assert LENIENT == COMPATIBLE | LENIENT_ONLY
    assert not COMPATIBLE & LENIENT_ONLY
    assert {kind for kind, *_ in DIFFERING} <= LENIENT_ONLY


@pytest.mark.parametrize(("kind", "old", "new", "mode"), DIFFERING, ids=[d[0] for d in DIFFERING])
def test_strict_refuses_and_lenient_accepts(
    kind: str, old: dict[str, Any], new: dict[str, Any], mode: str
) -> None:
    strict = check_compatibility([old, new], mode)
    assert not strict.compatible
    assert [c.kind for c in strict.breaking] == [kind]
    lenient = check_compatibility([old, new], mode, policy="lenient")
    assert lenient.compatible, lenient.breaking
    assert kind in {c.kind for c in lenient.changes}  # still reported, no longer breaking
    assert (strict.policy, lenient.policy) == ("strict", "lenient")


@pytest.mark.parametrize(
    ("old", "new", "kinds", "strict_only"),
    [
        # a required property without default is missing from old data under either policy
        (
            OBJ,
            {
                **OBJ,
                "properties": {**OBJ["properties"], "b": {"type": "integer"}},
                "required": ["b"],
            },
            {"REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
            set(),
        ),
        # not covered by the catch-all: the inner TYPE_CHANGED still decides
        (
            {**OBJ, "additionalProperties": {"type": "string"}},
            {
                **OBJ,
                "additionalProperties": {"type": "string"},
                "properties": {**OBJ["properties"], "n": {"type": "integer"}},
            },
            {"TYPE_CHANGED"},
            {"PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"},
        ),
        # a closed model that drops a property: strict and lenient alike
        (
            {**OBJ, "additionalProperties": False},
            {"type": "object", "properties": {}, "additionalProperties": False},
            {"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
            set(),
        ),
    ],
)
def test_what_lenient_does_not_relax(
    old: dict[str, Any], new: dict[str, Any], kinds: set[str], strict_only: set[str]
) -> None:
    """``strict_only``: kinds that break under strict alone (the verdict stays the same)."""
    strict = check_compatibility([old, new], "BACKWARD")
    lenient = check_compatibility([old, new], "BACKWARD", policy="lenient")
    assert not strict.compatible and not lenient.compatible
    assert {c.kind for c in strict.breaking} == kinds | strict_only
    assert {c.kind for c in lenient.breaking} == kinds


def test_unknown_policy_is_a_usage_error() -> None:
    from accord.errors import UsageError

    with pytest.raises(UsageError, match="unknown policy 'loose'; use strict or lenient"):
        check_compatibility([OBJ, OBJ], policy="loose")


def test_the_cli_takes_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "v1.json", tmp_path / "v2.json"
    old.write_text(json.dumps(DIFFERING[2][1]))
    new.write_text(json.dumps(DIFFERING[2][2]))
    assert main(["schema", "compat", str(old), str(new)]) == 1
    assert "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in capsys.readouterr().out
    assert main(["schema", "compat", str(old), str(new), "--policy", "lenient"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"compatible: {new} may follow under BACKWARD (lenient policy)"
    )
    assert (
        main(["schema", "compat", str(old), str(new), "--policy", "lenient", "--format", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["policy"] == "lenient"
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "compat", str(old), str(new), "--policy", "loose"])
    assert exit_info.value.code == 2
