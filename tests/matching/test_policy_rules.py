from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadsync.sync.policy_rules import FieldRule


@pytest.mark.parametrize(
    ("phrase", "kind", "systems"),
    [
        ("always salesforce", "always", ("salesforce",)),
        ("prefer hubspot unless blank", "prefer", ("hubspot",)),
        ("prefer hubspot", "prefer", ("hubspot",)),
        ("most recent non-empty", "most_recent", ()),
        ("priority salesforce, hubspot, forms", "priority", ("salesforce", "hubspot", "forms")),
        ("salesforce > hubspot", "priority", ("salesforce", "hubspot")),
        ("never overwrite once set", "never_overwrite", ()),
        ("first touch wins", "first_touch", ()),
    ],
    ids=lambda v: str(v),
)
def test_phrases_parse(phrase: str, kind: str, systems: tuple[str, ...]) -> None:
    rule = FieldRule.model_validate(phrase)
    assert (rule.kind, rule.systems) == (kind, systems)
    assert FieldRule.model_validate(rule.describe()) == rule


@pytest.mark.parametrize("bad", ["sometimes salesforce", "always", "hook", "prefer a b c"])
def test_bad_phrases_are_rejected(bad: str) -> None:
    with pytest.raises(ValidationError):
        FieldRule.model_validate(bad)


def test_model_form_is_checked() -> None:
    with pytest.raises(ValidationError):
        FieldRule(kind="always", systems=("a", "b"))
    assert FieldRule(kind="hook", hook="x.y:z").describe() == "hook x.y:z"
