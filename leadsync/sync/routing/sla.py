"""Speed-to-lead: leads nobody answered by their deadline are escalated and the breach recorded.

A first response is what the CRM shows on an incremental pull: the lead left stage ``new``
(a status change). When the deadline passes without one, the lead goes to the next available
rep of its team (or the fallback owner), the breach is written to the audit trail, and an
optional notification hook is called (e.g. an outbound signed webhook).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from leadsync.connectors.base import Owner
from leadsync.store import audit, routing_state
from leadsync.store.engine import transaction
from leadsync.sync.routing.router import Router, TeamState


@dataclass(frozen=True)
class Breach:
    """One missed first-response deadline."""

    lead_key: str
    previous_owner: str
    new_owner: Owner | None
    due: datetime
    escalated_at: datetime


def record_responses(router: Router, lead_keys: Iterable[str], at: datetime) -> int:
    """Stop the SLA clock of ``lead_keys`` (their CRM status changed)."""
    with transaction(router.factory) as session:
        return routing_state.record_responses(session, lead_keys, at)


def escalate_due(router: Router, notify: Callable[[Breach], None] | None = None) -> list[Breach]:
    """Reassign every lead whose first-response deadline passed unanswered; return the breaches."""
    now = router.clock()
    breaches: list[Breach] = []
    with transaction(router.factory) as session:
        state = TeamState(router, session, now, lock=True)
        for row in routing_state.breaches(session, now):
            new_owner = _next_owner(router, state, row.team, row.owner)
            breach = Breach(row.lead_key, row.owner, new_owner, row.first_response_due or now, now)
            row.escalated_at = now
            if new_owner is not None:
                row.owner = new_owner.email.lower()
            audit.append(session, [audit.Event(
                "sla", None, None, row.lead_key, "owner", breach.previous_owner,
                row.owner, "first-response SLA", f"deadline {breach.due.isoformat()} missed")],
                now=now, run_id=None)  # fmt: skip
            breaches.append(breach)
        state.save()
    for breach in breaches:
        if notify is not None:
            notify(breach)
    return breaches


def _next_owner(router: Router, state: TeamState, team: str | None, current: str) -> Owner | None:
    config = router.config
    if team is not None and team in config.teams:
        for _ in range(len(config.teams[team].members)):
            owner = state.next_in(team, config.teams[team])
            if owner is None:
                break
            if owner.email.lower() != current:
                return owner
    fallback = (config.fallback_owner or "").lower()
    owner = router.by_email.get(fallback)
    return owner if owner is not None and fallback != current else None
