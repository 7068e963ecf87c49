"""Why this owner: the decision and the values the rule saw, read back per lead."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store import audit
from leadsync.store.engine import session_factory
from leadsync.sync.routing import Router, RoutingConfig
from leadsync.sync.routing.explain import explain

REPS = [Owner("001", "ada@acme.example"), Owner("002", "bob@acme.example")]
CONFIG = RoutingConfig.model_validate({
    "rules": [{"name": "dach-mid", "when": {"countries": ["DE", "AT"], "employees": {"min": 50}},
               "assign": {"team": "dach"}}],
    "teams": {"dach": {"members": [{"email": r.email} for r in REPS]}},
    "fallback_owner": "bob@acme.example",
})  # fmt: skip


def test_explain_names_the_rule_and_the_values_it_saw(engine: Engine) -> None:
    factory = session_factory(engine)
    router = Router(CONFIG, factory, REPS, lambda: datetime(2026, 3, 2, tzinfo=UTC))
    router.route(Lead(country="AT", employee_count=80), lead_key="ls-42")
    router.route(Lead(country="FR"), lead_key="ls-43")
    [decision] = explain(factory, "ls-42")
    assert (decision.kind, decision.rule, decision.owner) == ("route", "dach-mid", REPS[0].email)
    assert decision.seen == {"score": 0, "tier": "cold", "country": "AT", "employees": 80}
    assert decision.sentence().endswith("because score=0, tier='cold', country='AT', employees=80")
    [fallback] = explain(factory, "ls-43")
    assert (fallback.rule, fallback.owner) == ("fallback", REPS[1].email)
    assert explain(factory, "ls-44") == []
    with factory() as session:  # `leadsync explain` reads the trail by golden id
        trail = audit.for_golden(session, 42)
    assert [(e.kind, e.rule) for e in trail] == [("route", "dach-mid")]
