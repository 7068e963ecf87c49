"""The router: ordered rules → owner, with durable fair round robin, caps and availability."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Owner
from leadsync.errors import ConfigError
from leadsync.mapping.model import Lead, Stage
from leadsync.store import routing_state
from leadsync.store.engine import transaction
from leadsync.store.golden import golden_id_from_key
from leadsync.store.models import AuditEntry, RoutingAssignment
from leadsync.sync.routing.conditions import matches
from leadsync.sync.routing.config import Member, RoutingConfig, Rule, Team
from leadsync.sync.routing.gates import GateResult, check_gate
from leadsync.sync.routing.rotation import slot_sequence
from leadsync.sync.routing.scoring import is_mql, score


@dataclass(frozen=True)
class Assignment:
    """Who owns a lead, by which rule, and what the rule saw."""

    owner: Owner
    rule: str
    team: str | None = None
    reason: dict[str, Any] = field(default_factory=dict)
    first_response_due: datetime | None = None


Item = tuple[Lead, str, str | None]  # lead, lead key, matched account's owner email


class Router:
    """Assign owners to leads by the configured rules.

    Args:
        config: The routing section.
        factory: Store sessions (cursors and assignments are durable).
        owners: The target's users; rules may only name active ones.
        clock: Current time (a fake one in tests).
    """

    def __init__(
        self,
        config: RoutingConfig,
        factory: sessionmaker[Session],
        owners: Sequence[Owner],
        clock: Callable[[], datetime],
    ) -> None:
        self.config, self.factory, self.clock = config, factory, clock
        self.by_email = {o.email.lower(): o for o in owners if o.email}
        self._checked = False

    def validate_owners(self) -> list[str]:
        """Name every configured owner who is unknown in the target or inactive."""
        problems = []
        for email in sorted(self.config.emails()):
            owner = self.by_email.get(email)
            if owner is None:
                problems.append(f"routing: owner {email!r} is not a user of the target")
            elif not owner.active:
                problems.append(f"routing: owner {email!r} is inactive in the target")
        return problems

    def qualify(self, lead: Lead) -> Lead:
        """Return ``lead`` with its score and, when the MQL definition holds, stage MQL."""
        points, tier = score(lead, self.config.scoring, now=self.clock())
        updates: dict[str, Any] = {"score": points}
        new = lead.stage in (None, Stage.NEW)
        if new and is_mql(lead, self.config.scoring, tier):
            updates["stage"] = Stage.MQL
        return lead.model_copy(update=updates)

    def check_gate(self, lead: Lead, stage: Stage) -> GateResult:
        """May ``lead`` be pushed in ``stage``? (names the missing fields when not)."""
        return check_gate(lead, stage, self.config.gates)

    def route(
        self, lead: Lead, *, lead_key: str, account_owner_email: str | None = None
    ) -> Assignment | None:
        """Assign one lead (idempotent per ``lead_key``)."""
        return self.route_many([(lead, lead_key, account_owner_email)])[0]

    def preview(
        self, lead: Lead, *, lead_key: str, account_owner_email: str | None = None
    ) -> Assignment | None:
        """What :meth:`route` would do, without taking a slot or writing anything."""
        with self.factory() as session:
            return self._assign(session, [(lead, lead_key, account_owner_email)], persist=False)[0]

    def route_many(self, items: Sequence[Item]) -> list[Assignment | None]:
        """Assign many leads in one transaction (one cursor lock per team)."""
        self._require_valid_owners()
        for attempt in range(3):
            try:
                with transaction(self.factory) as session:
                    return self._assign(session, items, persist=True)
            except IntegrityError:
                # Another worker assigned one of these lead keys between our read and insert
                # (possible only for leads no team lock covers): retry; they are now known.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _require_valid_owners(self) -> None:
        if not self._checked:
            problems = self.validate_owners()
            if problems:
                raise ConfigError("; ".join(problems))
            self._checked = True

    def _assign(
        self, session: Session, items: Sequence[Item], *, persist: bool
    ) -> list[Assignment | None]:
        now = self.clock()
        state = TeamState(self, session, now, lock=persist)
        if persist:
            # Lock first, read second: a batch that waited for another worker's cursor locks
            # then sees that worker's assignments, so no lead key is assigned twice.
            state.lock_all()
        known = routing_state.existing(session, [key for _, key, _ in items])
        results: list[Assignment | None] = []
        rows: list[dict[str, Any]] = []
        whys: list[dict[str, Any]] = []
        fresh: dict[str, Assignment | None] = {}
        for lead, key, account_owner in items:
            if key in known:
                results.append(self._from_row(known[key]))
                continue
            if key in fresh:  # the same lead twice in one batch
                results.append(fresh[key])
                continue
            assignment = self._decide(lead, account_owner, state)
            results.append(assignment)
            fresh[key] = assignment
            if assignment is not None and persist:
                rows.append(_row(key, assignment, now))
                whys.append(_why(key, assignment, now))
                state.count(assignment.owner.email)
        if persist and rows:
            # Core bulk inserts: ORM unit-of-work bookkeeping cost more than the routing itself.
            session.execute(insert(RoutingAssignment), rows)
            session.execute(insert(AuditEntry), whys)
        if persist:
            state.save()
        return results

    def _decide(self, lead: Lead, account_owner: str | None, state: TeamState) -> Assignment | None:
        points, tier = score(lead, self.config.scoring, now=state.now)
        base = {"score": points, "tier": tier}
        if self.config.account_owner_first and account_owner:
            owner = self._available(account_owner.lower(), state)
            if owner is not None:
                return self._made(
                    owner,
                    "account-owner",
                    None,
                    {**base, "account_owner": owner.email},
                    tier,
                    state,
                )
        for rule in self.config.rules:
            seen: dict[str, Any] = {}
            if matches(rule.when, lead, tier, seen):
                assignment = self._apply(rule, account_owner, {**base, **seen}, tier, state)
                if assignment is not None:
                    return assignment
        if self.config.fallback_owner:
            owner = self.by_email.get(self.config.fallback_owner.lower())
            if owner is not None:
                return self._made(owner, "fallback", None, base, tier, state)
        return None

    def _apply(
        self,
        rule: Rule,
        account_owner: str | None,
        seen: dict[str, Any],
        tier: str | None,
        state: TeamState,
    ) -> Assignment | None:
        action = rule.assign
        if action.owner is not None:
            owner = self._available(action.owner.lower(), state)
            return self._made(owner, rule.name, None, seen, tier, state) if owner else None
        if action.account_owner:
            owner = self._available(account_owner.lower(), state) if account_owner else None
            return self._made(owner, rule.name, None, seen, tier, state) if owner else None
        team_name = action.team or ""
        owner = state.next_in(team_name, self.config.teams[team_name])
        return self._made(owner, rule.name, team_name, seen, tier, state) if owner else None

    def _available(self, email: str, state: TeamState) -> Owner | None:
        owner = self.by_email.get(email)
        return owner if owner is not None and owner.active else None

    def _made(
        self,
        owner: Owner,
        rule: str,
        team: str | None,
        seen: dict[str, Any],
        tier: str | None,
        state: TeamState,
    ) -> Assignment:
        minutes = self.config.first_response_minutes.get(tier or "")
        due = state.now + timedelta(minutes=minutes) if minutes else None
        return Assignment(owner, rule, team, seen, due)

    def _from_row(self, row: RoutingAssignment) -> Assignment | None:
        owner = self.by_email.get(row.owner)
        if owner is None:
            return None
        return Assignment(
            owner,
            row.rule,
            row.team,
            {"already assigned": row.at.isoformat()},
            row.first_response_due,
        )


def _row(key: str, assignment: Assignment, now: datetime) -> dict[str, Any]:
    """The ``routing_assignments`` row of one new assignment."""
    return {
        "lead_key": key, "team": assignment.team, "owner": assignment.owner.email.lower(),
        "rule": assignment.rule, "day": now.date().isoformat(), "at": now,
        "first_response_due": assignment.first_response_due,
    }  # fmt: skip


def _why(key: str, assignment: Assignment, now: datetime) -> dict[str, Any]:
    """The audit row answering "why this owner?" for one assignment."""
    return {
        "at": now, "run_id": None, "golden_id": golden_id_from_key(key), "kind": "route",
        "system": None,
        "record": key, "field": "owner", "before": None, "after": assignment.owner.email,
        "rule": assignment.rule, "detail": json.dumps(assignment.reason, default=str),
    }  # fmt: skip


class TeamState:
    """Cursor positions and daily counts of the teams one transaction assigns from."""

    def __init__(self, router: Router, session: Session, now: datetime, *, lock: bool) -> None:
        self.router, self.session, self.now, self.lock = router, session, now, lock
        self.positions: dict[str, int] = {}
        self.rows: dict[str, Any] = {}
        self.counts: dict[str, int] | None = None

    def next_in(self, name: str, team: Team) -> Owner | None:
        """The next eligible member of ``team`` (slots of ineligible members are skipped)."""
        position = self._position(name)
        slots = slot_sequence(team.members)
        members = {m.email.lower(): m for m in team.members}
        for step in range(len(slots)):
            email = slots[(position + step) % len(slots)]
            owner = self.router.by_email.get(email)
            if owner is not None and owner.active and self._eligible(members[email]):
                self.positions[name] = position + step + 1
                return owner
        return None

    def lock_all(self) -> None:
        """Lock every team's cursor, in name order, so concurrent workers never deadlock."""
        for name, team in sorted(self.router.config.teams.items()):
            self._position(name)

    def count(self, email: str) -> None:
        """Count one more assignment for ``email`` today (daily caps)."""
        counts = self._counts()
        counts[email.lower()] = counts.get(email.lower(), 0) + 1

    def save(self) -> None:
        """Write the advanced cursor positions back to their (locked) rows."""
        for name, position in self.positions.items():
            self.rows[name].position = position

    def _position(self, name: str) -> int:
        if name not in self.positions:
            if self.lock:
                row = routing_state.lock_cursor(self.session, name)
            else:
                from leadsync.store.models import RoutingCursor

                row = self.session.get(RoutingCursor, name) or RoutingCursor(team=name, position=0)
            self.rows[name] = row
            self.positions[name] = row.position
        return self.positions[name]

    def _eligible(self, member: Member) -> bool:
        today = self.now.date()
        if any(a.start <= today <= a.end for a in member.out_of_office):
            return False
        if member.daily_cap is None:
            return True
        return self._counts().get(member.email.lower(), 0) < member.daily_cap

    def _counts(self) -> dict[str, int]:
        if self.counts is None:
            emails = {m.email.lower() for t in self.router.config.teams.values() for m in t.members}
            self.counts = routing_state.counts_on(self.session, emails, _day(self.now.date()))
        return self.counts


def _day(value: date) -> str:
    return value.isoformat()
