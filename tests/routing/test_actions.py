"""Rule actions and fall-through: account owner as a rule, empty teams, the fallback queue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store.engine import session_factory
from leadsync.sync.routing import Router, RoutingConfig

NOW = datetime(2026, 8, 3, 10, tzinfo=UTC)
OWNERS = [Owner("1", "ada@acme.example"), Owner("2", "bob@acme.example"),
          Owner("3", "eve@acme.example"), Owner("4", "old@acme.example", active=False),
          Owner("q", "queue@acme.example")]  # fmt: skip
AWAY = [{"start": date(2026, 8, 1), "end": date(2026, 8, 14)}]


def config(**extra: Any) -> RoutingConfig:
    return RoutingConfig.model_validate({
        "account_owner_first": False,
        "rules": [
            {"name": "strategic", "when": {"industries": ["Banking"]},
             "assign": {"account_owner": True}},
            {"name": "holiday-team", "when": {"countries": ["FR"]}, "assign": {"team": "fr"}},
            {"name": "named", "when": {"countries": ["FR", "BE"]},
             "assign": {"owner": "eve@acme.example"}},
        ],
        "teams": {"fr": {"members": [{"email": "ada@acme.example", "out_of_office": AWAY},
                                     {"email": "bob@acme.example", "daily_cap": 0}]}},
        "fallback_owner": "queue@acme.example",
        **extra,
    })  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "account_owner", "rule", "owner"),
    [
        ({"industry": "Banking"}, "bob@acme.example", "strategic", "bob@acme.example"),
        ({"industry": "Banking"}, "old@acme.example", "fallback", "queue@acme.example"),
        ({"industry": "Banking"}, "stranger@else.example", "fallback", "queue@acme.example"),
        ({"industry": "Banking"}, None, "fallback", "queue@acme.example"),
        ({"country": "FR"}, None, "named", "eve@acme.example"),  # team all away or capped
        ({"country": "BE"}, None, "named", "eve@acme.example"),
        ({"country": "DE"}, None, "fallback", "queue@acme.example"),
    ],
    ids=[
        "account-owner-rule",
        "inactive-account-owner",
        "unknown-account-owner",
        "no-account",
        "team-unavailable-falls-through",
        "named-owner",
        "no-rule",
    ],  # fmt: skip
)
def test_action(
    engine: Engine, fields: dict[str, Any], account_owner: str | None, rule: str, owner: str
) -> None:
    router = Router(config(), session_factory(engine), OWNERS, lambda: NOW)
    got = router.route(Lead(**fields), lead_key="ls-1", account_owner_email=account_owner)
    assert got is not None
    assert (got.rule, got.owner.email) == (rule, owner)


def test_no_rule_and_no_fallback_leaves_the_lead_unassigned(engine: Engine) -> None:
    router = Router(config(fallback_owner=None), session_factory(engine), OWNERS, lambda: NOW)
    assert router.route(Lead(country="DE"), lead_key="ls-1") is None
    assert router.preview(Lead(country="BE"), lead_key="ls-2") is not None
