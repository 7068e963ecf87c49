"""The router: ordered rules → owner, with durable fair round robin, caps and availability."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Owner
from leadsync.errors import ConfigError, RetryableError
from leadsync.mapping.model import Lead, Stage
from leadsync.store import routing_state
from leadsync.store.dialect import append_rows
from leadsync.store.engine import transaction
from leadsync.store.golden import golden_id_from_key
from leadsync.store.models import AuditEntry, RoutingAssignment
from leadsync.sync.routing.conditions import Test, compiled, country_index
from leadsync.sync.routing.config import Member, RoutingConfig, Rule, Team
from leadsync.sync.routing.gates import GateResult, check_gate
from leadsync.sync.routing.rotation import slot_sequence
from leadsync.sync.routing.scoring import is_mql, score
from leadsync.sync.routing.teams import TeamState


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
        self._rules = [(rule, compiled(rule.when)) for rule in config.rules]
        self._by_country, self._anywhere = country_index(self._rules)
        self._layouts: dict[str, tuple[tuple[str, ...], dict[str, Member]]] = {}
        self.capped = frozenset(
            m.email.lower()
            for team in config.teams.values()
            for m in team.members
            if m.daily_cap is not None
        )

    def layout(self, name: str, team: Team) -> tuple[tuple[str, ...], dict[str, Member]]:
        """A team's round-robin slot cycle (emails) and its members by email (cached)."""
        found = self._layouts.get(name)
        if found is None:
            found = (slot_sequence(team.members), {m.email.lower(): m for m in team.members})
            self._layouts[name] = found
        return found

    def candidates(self, lead: Lead) -> list[tuple[Rule, Test]]:
        """The rules that may match ``lead``, in order: its country's and the country-free."""
        if lead.country is None:
            return self._anywhere
        return self._by_country.get(str(lead.country).upper(), self._anywhere)

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
        self,
        lead: Lead,
        *,
        lead_key: str,
        account_owner_email: str | None = None,
        session: Session | None = None,
    ) -> Assignment | None:
        """Assign one lead (idempotent per ``lead_key``)."""
        return self.route_many([(lead, lead_key, account_owner_email)], session=session)[0]

    def preview(
        self,
        lead: Lead,
        *,
        lead_key: str,
        account_owner_email: str | None = None,
        session: Session | None = None,
    ) -> Assignment | None:
        """What :meth:`route` would do, without taking a slot or writing anything."""
        item = [(lead, lead_key, account_owner_email)]
        if session is not None:
            return self._assign(session, item, persist=False)[0]
        with self.factory() as own:
            return self._assign(own, item, persist=False)[0]

    def route_many(
        self, items: Sequence[Item], *, session: Session | None = None
    ) -> list[Assignment | None]:
        """Assign many leads in one transaction (every team's cursor locked once, in order).

        Args:
            items: ``(lead, lead_key, matched account's owner email)`` triples.
            session: The caller's open transaction, so the assignments commit (or roll back)
                with the caller's other writes; without one the router commits on its own.
        """
        self._require_valid_owners(session)
        if session is not None:
            try:
                return self._assign(session, items, persist=True)
            except IntegrityError as error:
                raise RetryableError("a lead key was assigned by another worker") from error
        for attempt in range(3):
            try:
                with transaction(self.factory) as own:
                    return self._assign(own, items, persist=True)
            except IntegrityError:
                # Another worker assigned one of these keys between our read and our insert
                # (only leads no team lock covers can race so): retry, they are known now.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _require_valid_owners(self, session: Session | None) -> None:
        if self._checked:
            return
        problems = self.validate_owners()
        if problems:
            raise ConfigError("; ".join(problems))
        # Cursor rows exist before routing transactions lock them, so locking never has to
        # insert (which could take locks out of name order). In the caller's transaction when
        # there is one: on SQLite a second transaction would wait for the caller's own lock.
        if session is not None:
            routing_state.ensure_cursors(session, self.config.teams)
        else:
            with transaction(self.factory) as own:
                routing_state.ensure_cursors(own, self.config.teams)
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
            # Table (Core) rows, not ORM objects: the ORM's bulk path costs more than routing.
            routing_state.record_assignments(session, rows)
            append_rows(session, _AUDIT, whys)
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
        for rule, test in self.candidates(lead):
            seen: dict[str, Any] = {}
            if test(lead, tier, seen):
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


_AUDIT = cast(Table, AuditEntry.__table__)
# What json.dumps(reason, default=str) writes, without building an encoder for every lead.
_REASON = json.JSONEncoder(default=str)


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
        "at": now, "golden_id": golden_id_from_key(key), "kind": "route", "record": key,
        "field": "owner", "after": assignment.owner.email, "rule": assignment.rule,
        "detail": _REASON.encode(assignment.reason),
    }  # fmt: skip
