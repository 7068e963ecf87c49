"""Each kind of rule condition, table-driven, with the values the rule saw."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from leadsync.mapping.model import Lead, Stage, Touch
from leadsync.sync.routing.conditions import matches
from leadsync.sync.routing.config import When

BASE = Lead(
    email="ada@acme.example",
    country="DE",
    region="DE-BY",
    employee_count=250,
    annual_revenue=Decimal("12000000"),
    industry="Software",
    stage=Stage.MQL,
    first_touch=Touch(source="Webinar"),
    custom={"page_views": 12, "plan": "trial"},
)

CASES: list[tuple[str, dict[str, Any], str | None, bool, dict[str, Any]]] = [
    ("country-in", {"countries": ["gb", "de"]}, None, True, {"country": "DE"}),
    ("country-out", {"countries": ["US"]}, None, False, {"country": "DE"}),
    ("region-in", {"regions": ["de-by"]}, None, True, {"region": "DE-BY"}),
    ("region-out", {"regions": ["DE-BE"]}, None, False, {"region": "DE-BY"}),
    ("employees-band", {"employees": {"min": 100, "max": 499}}, None, True, {"employees": 250}),
    ("employees-above", {"employees": {"min": 500}}, None, False, {"employees": 250}),
    ("revenue-band", {"revenue": {"min": 1e7}}, None, True, {"revenue": Decimal("12000000")}),
    ("revenue-below", {"revenue": {"max": 1e6}}, None, False, {"revenue": Decimal("12000000")}),
    ("industry-folded", {"industries": ["software"]}, None, True, {"industry": "Software"}),
    ("industry-out", {"industries": ["Banking"]}, None, False, {"industry": "Software"}),
    ("tier-in", {"tiers": ["hot"]}, "hot", True, {"tier": "hot"}),
    ("tier-out", {"tiers": ["hot"]}, "warm", False, {"tier": "warm"}),
    ("source-in", {"sources": ["webinar"]}, None, True, {"source": "Webinar"}),
    ("source-out", {"sources": ["paid"]}, None, False, {"source": "Webinar"}),
    ("stage-in", {"stages": ["mql", "sql"]}, None, True, {"stage": "mql"}),
    ("stage-out", {"stages": ["sql"]}, None, False, {"stage": "mql"}),
    ("op-eq", {"conditions": [{"field": "custom.plan", "value": "TRIAL"}]}, None, True,
     {"custom.plan": "trial"}),
    ("op-ne", {"conditions": [{"field": "custom.plan", "op": "ne", "value": "paid"}]}, None,
     True, {"custom.plan": "trial"}),
    ("op-in", {"conditions": [{"field": "industry", "op": "in", "value": ["software"]}]},
     None, True, {"industry": "Software"}),
    ("op-not-in", {"conditions": [{"field": "country", "op": "not_in", "value": ["DE"]}]},
     None, False, {"country": "DE"}),
    ("op-gte", {"conditions": [{"field": "custom.page_views", "op": "gte", "value": 12}]},
     None, True, {"custom.page_views": 12}),
    ("op-lte", {"conditions": [{"field": "custom.page_views", "op": "lte", "value": 11}]},
     None, False, {"custom.page_views": 12}),
    ("op-exists", {"conditions": [{"field": "first_touch.source", "op": "exists"}]}, None,
     True, {"first_touch.source": "Webinar"}),
    ("op-exists-missing", {"conditions": [{"field": "phone", "op": "exists"}]}, None, False,
     {"phone": None}),
    ("all-must-hold", {"countries": ["DE"], "industries": ["Retail"]}, None, False,
     {"country": "DE", "industry": "Software"}),
    ("empty-when", {}, None, True, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("when", "tier", "expected", "seen"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_condition(
    when: dict[str, Any], tier: str | None, expected: bool, seen: dict[str, Any]
) -> None:
    got: dict[str, Any] = {}
    assert matches(When.model_validate(when), BASE, tier, got) is expected
    assert got == seen


@pytest.mark.parametrize(
    "when",
    [{"countries": ["DE"]}, {"employees": {"min": 1}}, {"industries": ["Software"]},
     {"sources": ["webinar"]},
     {"conditions": [{"field": "custom.plan", "op": "eq", "value": "x"}]}],
    ids=["country", "employees", "industry", "source", "custom"],
)  # fmt: skip
def test_a_missing_value_never_matches(when: dict[str, Any]) -> None:
    assert not matches(When.model_validate(when), Lead(email="x@y.example"), None, {})
