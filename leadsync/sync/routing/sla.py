"""Speed-to-lead: leads nobody answered by their deadline are escalated and the breach recorded.

A first response is what the CRM shows on an incremental pull: a status change or an activity;
the engine then calls :meth:`SpeedToLead.record_response`. When the deadline passes without
one, :meth:`SpeedToLead.escalate` gives the lead to the next available rep of its team (or the
fallback owner), writes the breach to the audit trail (``kind="sla"``) and calls the optional
notification hook (e.g. an outbound signed webhook). Each breach is escalated once: the row is
locked and re-checked, so two workers sweeping at once never escalate the same lead twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from leadsync.connectors.base import Owner
from leadsync.store import audit, routing_state
from leadsync.store.engine import transaction
from leadsync.store.golden import golden_id_from_key
from leadsync.store.models import RoutingAssignment
from leadsync.sync.routing.router import Assignment, Router
from leadsync.sync.routing.teams import TeamState

RULE = "first-response SLA"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Breach:
    """One missed first-response deadline (``new_owner``/``escalated_at`` once escalated)."""

    lead_key: str
    previous_owner: str
    due: datetime
    team: str | None = None
    new_owner: Owner | None = None
    escalated_at: datetime | None = None


Notify = Callable[[Breach], None]


class SpeedToLead:
    """First-response deadlines of routed leads: responses, breaches, escalation.

    Args:
        router: The router whose teams, owners, store and clock are used.
        notify: Called once per escalated breach, after its transaction committed.
    """

    def __init__(self, router: Router, notify: Notify | None = None) -> None:
        self.router, self.notify = router, notify

    def record_response(self, lead_key: str, at: datetime) -> bool:
        """Stop the SLA clock of one lead; False when unknown or already answered."""
        return self.record_responses([lead_key], at) == 1

    def record_responses(self, lead_keys: Iterable[str], at: datetime) -> int:
        """Stop the SLA clock of many leads; return how many were still waiting."""
        with transaction(self.router.factory) as session:
            return routing_state.record_responses(session, lead_keys, at)

    def due_breaches(self, now: datetime | None = None, limit: int = 500) -> list[Breach]:
        """Leads whose deadline passed before ``now`` (default: the clock) unanswered."""
        moment = now or self.router.clock()
        with self.router.factory() as session:
            rows = routing_state.due(session, moment, limit)
        return [Breach(r.lead_key, r.owner, r.first_response_due or moment, r.team) for r in rows]

    def escalate(self, breach: Breach) -> Assignment | None:
        """Give the lead to the next owner and record the breach.

        Returns:
            The new assignment (the same owner when nobody else is available), or None when
            the lead was answered or escalated meanwhile (by another worker, say).
        """
        outcome = self._escalate(breach)
        return outcome[1] if outcome is not None else None

    def escalate_due(self, limit: int = 500) -> list[Breach]:
        """Escalate every breach due now; return those this call escalated."""
        done = (self._escalate(breach) for breach in self.due_breaches(limit=limit))
        return [outcome[0] for outcome in done if outcome is not None]

    def _escalate(self, breach: Breach) -> tuple[Breach, Assignment | None] | None:
        now = self.router.clock()
        with transaction(self.router.factory) as session:
            row = routing_state.lock_assignment(session, breach.lead_key)
            if row is None or row.responded_at is not None or row.escalated_at is not None:
                return None
            done = replace(breach, previous_owner=row.owner, team=row.team)
            new_owner = self._reassign(session, row, now)
            done = replace(done, new_owner=new_owner, escalated_at=now)
            _record(session, row, done, now)
        if self.notify is not None:
            try:
                self.notify(done)
            except Exception:  # the breach is recorded; a failing hook must not stop the sweep
                log.exception("SLA notification failed for %s", done.lead_key)
        owner = new_owner or self.router.by_email.get(row.owner)
        reason = {"previous_owner": done.previous_owner, "deadline": done.due.isoformat()}
        return done, Assignment(owner, RULE, row.team, reason, None) if owner else None

    def _reassign(self, session: Session, row: RoutingAssignment, now: datetime) -> Owner | None:
        state = TeamState(self.router, session, now, lock=True)
        new_owner = _next_owner(self.router, state, row.team, row.owner)
        state.save()
        row.escalated_at = now
        if new_owner is not None:
            routing_state.move_count(session, row.day, row.owner, new_owner.email.lower())
            row.owner = new_owner.email.lower()
        return new_owner


def record_responses(router: Router, lead_keys: Iterable[str], at: datetime) -> int:
    """Stop the SLA clock of ``lead_keys`` (their CRM status changed)."""
    return SpeedToLead(router).record_responses(lead_keys, at)


def escalate_due(router: Router, notify: Notify | None = None) -> list[Breach]:
    """Reassign every lead whose first-response deadline passed unanswered; return the breaches."""
    return SpeedToLead(router, notify).escalate_due()


def _record(session: Session, row: RoutingAssignment, breach: Breach, now: datetime) -> None:
    detail = {"deadline": breach.due.isoformat(), "team": row.team,
              "late_minutes": round((now - breach.due).total_seconds() / 60, 1)}  # fmt: skip
    event = audit.Event(
        "sla", golden_id_from_key(row.lead_key), None, row.lead_key, "owner",
        breach.previous_owner, row.owner, RULE, json.dumps(detail),
    )  # fmt: skip
    audit.append(session, [event], now=now, run_id=None)


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
