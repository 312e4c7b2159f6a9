"""Cross-check of the rule table with real data: what a rule calls BACKWARD-compatible must let
the new schema accept data valid under the old one.

Hypothesis generates instances of the old schema (hypothesis-jsonschema, draft-07 keywords
only) and the standard ``jsonschema`` validator checks them against the new one. Confluent's
rules are conservative, so only the compatible direction is checked. Kinds whose compatibility
rests on a reader filling in a ``default`` are excluded: old data does lack that property.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from accord.schemas.compat import COMPATIBLE, NOT_COMPARED, check_compatibility

from .test_rules import RULES

pytestmark = pytest.mark.unit

# compatible because the reader applies the default, not because old data validates
_RELIES_ON_DEFAULTS = {
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
}
# keywords newer than draft-07, which hypothesis-jsonschema does not generate for
_NEWER = ("prefixItems", "unevaluated", "dependentRequired", "dependentSchemas", "Contains")


def _cases() -> list[Any]:
    cases = []
    for rule in RULES:
        for old, new, kind in ((rule.old, rule.new, rule.kind), (rule.new, rule.old,
                                                                  rule.reverse)):
            text = json.dumps([old, new])
            unchecked = any(
                c.kind == NOT_COMPARED for c in check_compatibility([old, new]).changes
            )
            if kind in COMPATIBLE and kind not in _RELIES_ON_DEFAULTS and not unchecked and not any(
                k in text for k in _NEWER
            ):
                cases.append(pytest.param(old, new, id=f"{kind}:{text[:60]}"))
    return cases


CASES = _cases()


def test_enough_compatible_rules_are_cross_checked() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("old", "new"), CASES)
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_data_of_the_old_schema_is_valid_under_the_new(
    old: Any, new: Any, data: st.DataObject
) -> None:
    instance = data.draw(from_schema(old))
    validator = jsonschema.Draft7Validator(new)
    assert validator.is_valid(instance), (instance, [e.message for e in
                                                     validator.iter_errors(instance)])
