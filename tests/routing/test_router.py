"""Routing rules, durable round robin, caps, availability, gates and SLA, on both stores."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from leadsync.connectors.base import Owner
from leadsync.errors import ConfigError
from leadsync.mapping.model import Bant, Lead, Stage, Touch
from leadsync.store.engine import session_factory
from leadsync.store.models import AuditEntry, RoutingAssignment
from leadsync.sync.routing import Router, RoutingConfig, check_gate, score
from leadsync.sync.routing.sla import escalate_due, record_responses

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
OWNERS = [Owner(f"005{i}", f"rep{i}@acme.example", f"Rep {i}") for i in range(6)] + [
    Owner("005x", "gone@acme.example", "Gone", active=False),
    Owner("005q", "queue@acme.example", "Queue"),
]


def config(**extra: Any) -> RoutingConfig:
    data: dict[str, Any] = {
        "rules": [
            {"name": "enterprise", "when": {"employees": {"min": 1000}},
             "assign": {"owner": "rep0@acme.example"}},
            {"name": "emea", "when": {"countries": ["GB", "DE", "FR"]}, "assign": {"team": "emea"}},
            {"name": "americas", "when": {"countries": ["US", "CA"]},
             "assign": {"team": "americas"}},
        ],
        "teams": {
            "emea": {"members": [{"email": "rep1@acme.example"}, {"email": "rep2@acme.example"}]},
            "americas": {"members": [{"email": "rep3@acme.example"},
                                     {"email": "rep4@acme.example"},
                                     {"email": "rep5@acme.example"}]},
        },
        "fallback_owner": "queue@acme.example",
    }  # fmt: skip
    data.update(extra)
    return RoutingConfig.model_validate(data)


def router(engine: Engine, cfg: RoutingConfig | None = None, now: datetime = NOW) -> Router:
    return Router(cfg or config(), session_factory(engine), OWNERS, lambda: now)


def lead(**fields: Any) -> Lead:
    return Lead(email="x@y.example", last_name="X", **fields)


@pytest.mark.parametrize(
    ("fields", "rule", "owners"),
    [
        ({"country": "US", "employee_count": 5000}, "enterprise", {"rep0@acme.example"}),
        ({"country": "DE"}, "emea", {"rep1@acme.example", "rep2@acme.example"}),
        ({"country": "CA"}, "americas", {f"rep{i}@acme.example" for i in (3, 4, 5)}),
        ({"country": "JP"}, "fallback", {"queue@acme.example"}),
        ({}, "fallback", {"queue@acme.example"}),
    ],
    ids=["named-owner", "team-emea", "team-americas", "fallback", "no-data"],
)
def test_rules_in_order(
    engine: Engine, fields: dict[str, Any], rule: str, owners: set[str]
) -> None:
    assignment = router(engine).route(lead(**fields), lead_key="ls-1")
    assert assignment is not None
    assert assignment.rule == rule
    assert assignment.owner.email in owners


def test_routing_is_idempotent_per_lead(engine: Engine) -> None:
    r = router(engine)
    first = r.route(lead(country="US"), lead_key="ls-7")
    again = r.route(lead(country="US"), lead_key="ls-7")
    assert first is not None
    assert again is not None
    assert again.owner == first.owner
    with session_factory(engine)() as session:
        assert session.execute(select(func.count()).select_from(RoutingAssignment)).scalar() == 1


def test_round_robin_survives_restarts_and_is_fair(engine: Engine) -> None:
    owners: Counter[str] = Counter()
    for start in range(0, 30, 10):  # three "processes" one after the other
        r = router(engine)
        for i in range(start, start + 10):
            assignment = r.route(lead(country="US"), lead_key=f"ls-{i}")
            assert assignment is not None
            owners[assignment.owner.email] += 1
    assert sorted(owners.values()) == [10, 10, 10]


def test_weighted_round_robin_follows_weights(engine: Engine) -> None:
    teams = {"americas": {"members": [{"email": "rep3@acme.example", "weight": 3},
                                      {"email": "rep4@acme.example", "weight": 1}]},
             "emea": {"members": [{"email": "rep1@acme.example"}]}}  # fmt: skip
    r = router(engine, config(teams=teams))
    got = Counter(r.route(lead(country="US"), lead_key=f"ls-{i}").owner.email  # type: ignore[union-attr]
                  for i in range(40))  # fmt: skip
    assert got == {"rep3@acme.example": 30, "rep4@acme.example": 10}


def test_daily_cap_and_out_of_office_are_respected(engine: Engine) -> None:
    teams = {"americas": {"members": [
        {"email": "rep3@acme.example", "daily_cap": 2},
        {"email": "rep4@acme.example",
         "out_of_office": [{"start": date(2026, 3, 1), "end": date(2026, 3, 5)}]},
        {"email": "gone@acme.example"},
    ]}, "emea": {"members": [{"email": "rep1@acme.example"}]}}  # fmt: skip
    cfg = config(teams=teams)
    r = Router(cfg, session_factory(engine), [o for o in OWNERS], lambda: NOW)
    # gone@ is inactive: a configured inactive owner is a validation error, not a fallback.
    with pytest.raises(ConfigError, match="gone@acme.example.*inactive"):
        r.route(lead(country="US"), lead_key="ls-0")
    active_teams = {**teams, "americas": {"members": teams["americas"]["members"][:2]}}
    r = router(engine, config(teams=active_teams))
    got = [r.route(lead(country="US"), lead_key=f"ls-{i}") for i in range(4)]
    emails = [a.owner.email for a in got if a is not None]
    assert emails == ["rep3@acme.example", "rep3@acme.example", "queue@acme.example",
                      "queue@acme.example"]  # fmt: skip
    tomorrow = router(engine, config(teams=active_teams), now=NOW + timedelta(days=1))
    nxt = tomorrow.route(lead(country="US"), lead_key="ls-99")
    assert nxt is not None
    assert nxt.owner.email == "rep3@acme.example"  # a new day, a new cap; rep4 still away


def test_unknown_owner_is_a_clear_error(engine: Engine) -> None:
    cfg = config(fallback_owner="nobody@acme.example")
    r = router(engine, cfg)
    assert r.validate_owners() == [
        "routing: owner 'nobody@acme.example' is not a user of the target"
    ]
    with pytest.raises(ConfigError, match="nobody@acme.example"):
        r.route(lead(), lead_key="ls-1")


def test_account_owner_wins_over_territory_by_default(engine: Engine) -> None:
    r = router(engine)
    assignment = r.route(
        lead(country="US"), lead_key="ls-1", account_owner_email="rep1@acme.example"
    )
    assert assignment is not None
    assert (assignment.rule, assignment.owner.email) == ("account-owner", "rep1@acme.example")
    territory_first = router(engine, config(account_owner_first=False))
    other = territory_first.route(
        lead(country="US"), lead_key="ls-2", account_owner_email="rep1@acme.example"
    )
    assert other is not None
    assert other.rule == "americas"


def test_why_this_owner_is_recorded(engine: Engine) -> None:
    router(engine).route(lead(country="DE", employee_count=20), lead_key="ls-5")
    with session_factory(engine)() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.kind == "route")).scalar_one()
    assert entry.rule == "emea"
    assert entry.record == "ls-5"
    assert '"country": "DE"' in (entry.detail or "")


def test_stage_gate_names_the_missing_fields() -> None:
    cfg = config(gates={"required": {
        "mql": ["email"],
        "sql": ["qualification.budget", "qualification.authority", "qualification.need",
                "qualification.timeline"]}})  # fmt: skip
    partial = lead(stage=Stage.SQL, qualification=Bant(budget=10_000, need="CRM"))
    result = check_gate(partial, Stage.SQL, cfg.gates)
    assert not result.allowed
    assert result.missing_fields == ["qualification.authority", "qualification.timeline"]
    assert check_gate(partial, Stage.MQL, cfg.gates).allowed


def test_score_tiers_and_mql_definition(engine: Engine) -> None:
    cfg = config(scoring={
        "rules": [{"name": "big", "when": {"employees": {"min": 500}}, "points": 50},
                  {"name": "webinar", "when": {"sources": ["webinar"]}, "points": 30},
                  {"name": "visits", "when": {"conditions": [
                      {"field": "custom.page_views", "op": "gte", "value": 10}]}, "points": 10}],
        "tiers": {"hot": 70, "warm": 40, "cold": 0},
        "mql_when": {"tiers": ["hot"]}})  # fmt: skip
    hot = lead(employee_count=800, first_touch=Touch(source="webinar"), custom={"page_views": 12})
    assert score(hot, cfg.scoring) == (90, "hot")
    assert score(lead(employee_count=800), cfg.scoring) == (50, "warm")
    qualified = router(engine, cfg).qualify(hot)
    assert (qualified.score, qualified.stage) == (90, Stage.MQL)
    assert router(engine, cfg).qualify(lead()).stage is None


def test_sla_breach_escalates_to_the_next_rep(engine: Engine) -> None:
    cfg = config(first_response_minutes={"cold": 15})
    clock = {"now": NOW}
    r = Router(cfg, session_factory(engine), OWNERS, lambda: clock["now"])
    first = r.route(lead(country="DE"), lead_key="ls-1")
    answered = r.route(lead(country="DE"), lead_key="ls-2")
    assert first is not None
    assert answered is not None
    assert first.first_response_due == NOW + timedelta(minutes=15)
    clock["now"] = NOW + timedelta(minutes=10)
    assert escalate_due(r) == []  # not yet due
    record_responses(r, ["ls-2"], clock["now"])
    clock["now"] = NOW + timedelta(minutes=16)
    seen: list[Any] = []
    breaches = escalate_due(r, notify=seen.append)
    assert [b.lead_key for b in breaches] == ["ls-1"]
    assert breaches[0].previous_owner == first.owner.email
    assert breaches[0].new_owner is not None
    assert breaches[0].new_owner.email != first.owner.email
    assert seen == breaches
    assert escalate_due(r) == []  # recorded once
    with session_factory(engine)() as session:
        row = session.execute(
            select(RoutingAssignment).where(RoutingAssignment.lead_key == "ls-1")
        ).scalar_one()
        assert row.owner == breaches[0].new_owner.email
        assert (
            session.execute(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "sla")
            ).scalar()
            == 1
        )
