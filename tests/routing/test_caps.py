"""Daily caps hold across workers: counts reused from the last batch only while still current."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store.engine import session_factory
from leadsync.sync.routing import Router, RoutingConfig
from leadsync.sync.routing.sla import Breach, SpeedToLead

REPS = [Owner("001", "ada@acme.example"), Owner("002", "bob@acme.example")]
QUEUE = Owner("00q", "queue@acme.example")
CONFIG = RoutingConfig.model_validate({
    "rules": [{"name": "vip", "when": {"countries": ["JP"]}, "assign": {"owner": REPS[0].email}},
              {"name": "team", "assign": {"team": "sales"}}],
    "teams": {"sales": {"members": [{"email": r.email, "daily_cap": 3} for r in REPS]}},
    "fallback_owner": QUEUE.email,
})  # fmt: skip


def test_caps_hold_when_two_workers_interleave(engine: Engine) -> None:
    now = {"t": datetime(2026, 3, 2, 9, tzinfo=UTC)}
    one, two = (Router(CONFIG, session_factory(engine), [*REPS, QUEUE], lambda: now["t"])
                for _ in range(2))  # fmt: skip
    got: Counter[str] = Counter()

    def route(router: Router, key: str, country: str = "US") -> None:
        assignment = router.route(Lead(country=country), lead_key=key)
        assert assignment is not None
        got[assignment.owner.email] += 1

    route(one, "ls-1")
    route(one, "ls-2")  # ada 1, bob 1; worker one now holds counts it may reuse
    route(two, "ls-3", "JP")  # ada by name: no cursor moves, but a newer assignment exists
    for key in ("ls-4", "ls-5", "ls-6", "ls-7", "ls-8"):
        route(one, key)
    assert got == {REPS[0].email: 3, REPS[1].email: 3, QUEUE.email: 2}
    now["t"] += timedelta(days=1)
    route(two, "ls-9")  # a new day, fresh caps
    assert got[QUEUE.email] == 2


def test_an_escalated_lead_counts_for_its_new_owner(engine: Engine) -> None:
    # Caps of one: after ls-1 moves from ada to bob, ada has room again and bob has none.
    config = RoutingConfig.model_validate({
        "rules": [{"name": "team", "assign": {"team": "sales"}}],
        "teams": {"sales": {"members": [{"email": r.email, "daily_cap": 1} for r in REPS]}},
        "fallback_owner": QUEUE.email,
    })  # fmt: skip
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    router = Router(config, session_factory(engine), [*REPS, QUEUE], lambda: now)
    first = router.route(Lead(country="US"), lead_key="ls-1")
    assert first is not None
    assert first.owner == REPS[0]
    moved = SpeedToLead(router).escalate(Breach("ls-1", REPS[0].email, now))
    assert moved is not None
    assert moved.owner == REPS[1]
    owners = [router.route(Lead(country="US"), lead_key=key) for key in ("ls-2", "ls-3")]
    assert [a.owner if a else None for a in owners] == [REPS[0], QUEUE]
