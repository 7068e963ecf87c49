"""Speed-to-lead SLA driven by a fake clock: deadlines per tier, responses, escalation, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store.engine import session_factory
from leadsync.store.models import AuditEntry, RoutingAssignment
from leadsync.sync.routing import Router, RoutingConfig
from leadsync.sync.routing.explain import explain
from leadsync.sync.routing.sla import Breach, SpeedToLead

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPS = [Owner(f"00{i}", f"rep{i}@acme.example", f"Rep {i}") for i in range(3)]
QUEUE = Owner("00q", "queue@acme.example", "Queue")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make(engine: Engine, members: int = 3) -> tuple[Router, Clock]:
    config = RoutingConfig.model_validate({
        "rules": [{"name": "hot-inbound", "when": {"tiers": ["hot"]}, "assign": {"team": "sdr"}},
                  {"name": "rest", "assign": {"team": "sdr"}}],
        "teams": {"sdr": {"members": [{"email": r.email} for r in REPS[:members]]}},
        "fallback_owner": QUEUE.email,
        "scoring": {"rules": [{"name": "demo", "when": {"conditions": [
            {"field": "custom.demo_request", "op": "eq", "value": True}]}, "points": 80}]},
        "first_response_minutes": {"hot": 15, "warm": 240},
    })  # fmt: skip
    clock = Clock()
    return Router(config, session_factory(engine), [*REPS, QUEUE], clock), clock


HOT = Lead(email="h@x.example", custom={"demo_request": True})
COLD = Lead(email="c@x.example")


def test_deadline_follows_the_tier(engine: Engine) -> None:
    router, _ = make(engine)
    hot = router.route(HOT, lead_key="ls-1")
    cold = router.route(COLD, lead_key="ls-2")
    assert hot is not None
    assert cold is not None
    assert hot.first_response_due == NOW + timedelta(minutes=15)
    assert cold.first_response_due is None  # no SLA for the cold tier: never breached


def test_breach_is_listed_escalated_once_and_audited(engine: Engine) -> None:
    router, clock = make(engine)
    first = router.route(HOT, lead_key="ls-1")
    router.route(HOT, lead_key="ls-2")
    assert first is not None
    notified: list[Breach] = []
    sla = SpeedToLead(router, notify=notified.append)
    clock.now = NOW + timedelta(minutes=14)
    assert sla.due_breaches() == []
    assert sla.record_response("ls-2", clock.now)
    assert not sla.record_response("ls-2", clock.now)  # already answered
    clock.now = NOW + timedelta(minutes=20)
    [breach] = sla.due_breaches()
    assert (breach.lead_key, breach.previous_owner) == ("ls-1", first.owner.email)
    assignment = sla.escalate(breach)
    assert assignment is not None
    assert assignment.owner.email not in (first.owner.email, QUEUE.email)
    assert assignment.team == "sdr"
    assert sla.escalate(breach) is None  # another sweep (or worker) finds it done
    assert sla.due_breaches() == []
    assert [(b.lead_key, b.new_owner) for b in notified] == [("ls-1", assignment.owner)]
    with session_factory(engine)() as session:
        row = session.execute(
            select(RoutingAssignment).where(RoutingAssignment.lead_key == "ls-1")
        ).scalar_one()
        sla_rows = session.execute(select(AuditEntry).where(AuditEntry.kind == "sla")).all()
    assert row.owner == assignment.owner.email
    assert row.escalated_at == clock.now
    assert len(sla_rows) == 1
    trail = explain(router.factory, "ls-1")
    assert [d.kind for d in trail] == ["route", "sla"]
    assert (trail[1].previous_owner, trail[1].owner) == (first.owner.email, row.owner)
    assert trail[1].seen["late_minutes"] == 5.0


def test_lone_rep_escalates_to_the_fallback_queue(engine: Engine) -> None:
    router, clock = make(engine, members=1)
    router.route(HOT, lead_key="ls-1")
    clock.now = NOW + timedelta(hours=1)
    breaches = SpeedToLead(router).escalate_due()
    assert [(b.previous_owner, b.new_owner) for b in breaches] == [(REPS[0].email, QUEUE)]


@pytest.mark.parametrize("responded", [True, False], ids=["answered", "unanswered"])
def test_a_response_after_the_deadline_but_before_the_sweep_wins(
    engine: Engine, responded: bool
) -> None:
    router, clock = make(engine)
    router.route(HOT, lead_key="ls-1")
    clock.now = NOW + timedelta(minutes=30)
    sla = SpeedToLead(router)
    [breach] = sla.due_breaches()
    if responded:
        sla.record_response("ls-1", clock.now)
    outcome: Any = sla.escalate(breach)
    assert (outcome is None) is responded


def test_a_failing_notification_does_not_stop_the_sweep(engine: Engine) -> None:
    router, clock = make(engine)
    router.route(HOT, lead_key="ls-1")
    router.route(HOT, lead_key="ls-2")
    clock.now = NOW + timedelta(hours=1)
    calls: list[str] = []

    def broken(breach: Breach) -> None:
        calls.append(breach.lead_key)
        raise ConnectionError("webhook endpoint down")

    done = SpeedToLead(router, notify=broken).escalate_due()
    assert [b.lead_key for b in done] == calls == ["ls-1", "ls-2"]
