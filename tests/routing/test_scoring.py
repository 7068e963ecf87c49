"""Rule-based scores: attribute points, engagement signals per unit, decay, tiers and MQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync.mapping.model import Lead, Touch
from leadsync.sync.routing.config import Scoring
from leadsync.sync.routing.scoring import is_mql, score

NOW = datetime(2026, 3, 2, tzinfo=UTC)
SCORING = Scoring.model_validate({
    "rules": [
        {"name": "mid-market", "when": {"employees": {"min": 200, "max": 2000}}, "points": 25},
        {"name": "software", "when": {"industries": ["Software"]}, "points": 15},
        {"name": "clicks", "per": "custom.email_clicks", "points": 5, "max_points": 30},
        {"name": "pricing", "when": {"conditions": [
            {"field": "custom.visited_pricing", "op": "eq", "value": True}]}, "points": 20},
    ],
    "tiers": {"hot": 70, "warm": 40, "cold": 0},
    "decay_per_day": 2,
    "mql_when": {"tiers": ["hot", "warm"], "conditions": [{"field": "email", "op": "exists"}]},
})  # fmt: skip


def lead(**fields: Any) -> Lead:
    return Lead(email="ada@acme.example", **fields)


@pytest.mark.parametrize(
    ("fields", "points", "tier"),
    [
        ({}, 0, "cold"),
        ({"employee_count": 500, "industry": "software"}, 40, "warm"),
        ({"custom": {"email_clicks": 3}}, 15, "cold"),
        ({"custom": {"email_clicks": 50}}, 30, "cold"),  # capped at max_points
        ({"custom": {"email_clicks": "many"}}, 0, "cold"),  # not a number: no points
        (
            {
                "employee_count": 500,
                "industry": "Software",
                "custom": {"email_clicks": 2, "visited_pricing": True},
            },
            70,
            "hot",
        ),
        (
            {
                "employee_count": 500,
                "industry": "Software",
                "custom": {"visited_pricing": True},
                "latest_touch": Touch(source="web", at=NOW - timedelta(days=5)),
            },
            50,
            "warm",
        ),
    ],  # fmt: skip
    ids=[
        "nothing",
        "firmographic",
        "signal-per-unit",
        "signal-capped",
        "signal-not-number",
        "hot",
        "decayed-by-age",
    ],  # fmt: skip
)
def test_points_and_tier(fields: dict[str, Any], points: int, tier: str) -> None:
    assert score(lead(**fields), SCORING, now=NOW) == (points, tier)


def test_below_every_threshold_has_no_tier() -> None:
    scoring = Scoring.model_validate({"tiers": {"hot": 50, "warm": 10}})
    assert score(lead(), scoring) == (0, None)


@pytest.mark.parametrize(
    ("fields", "tier", "expected"),
    [({}, "hot", True), ({}, "cold", False), ({"email": None}, "hot", False)],
    ids=["hot-with-email", "cold", "no-email"],
)
def test_mql_definition(fields: dict[str, Any], tier: str, expected: bool) -> None:
    subject = Lead(**{"email": "ada@acme.example", "last_name": "L", **fields})
    assert is_mql(subject, SCORING, tier) is expected
