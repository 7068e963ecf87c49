"""Durable routing state: round-robin cursors, assignments, daily counts and SLA clocks.

Cursor rows are read ``FOR UPDATE`` (PostgreSQL) or under ``BEGIN IMMEDIATE`` (SQLite), so
workers assigning from the same team at once take consecutive slots, never the same one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadsync.store.dialect import insert_ignore
from leadsync.store.models import AuditEntry, RoutingAssignment, RoutingCursor


def existing(session: Session, keys: Iterable[str]) -> dict[str, RoutingAssignment]:
    """Return the assignments already made for ``keys``."""
    wanted = list(keys)
    found: dict[str, RoutingAssignment] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(RoutingAssignment).where(
                RoutingAssignment.lead_key.in_(wanted[start : start + 500])
            )
        ).scalars()
        found.update((row.lead_key, row) for row in rows)
    return found


def lock_cursor(session: Session, team: str) -> RoutingCursor:
    """Return the team's cursor row, locked until the caller's transaction ends."""
    insert_ignore(session, RoutingCursor.__table__, {"team": team, "position": 0})  # type: ignore[arg-type]
    return session.execute(
        select(RoutingCursor).where(RoutingCursor.team == team).with_for_update()
    ).scalar_one()


def ensure_cursors(session: Session, teams: Iterable[str]) -> None:
    """Create the missing cursor rows (position 0) of ``teams``."""
    known = set(session.execute(select(RoutingCursor.team)).scalars())
    for team in sorted(set(teams) - known):
        insert_ignore(session, RoutingCursor.__table__, {"team": team, "position": 0})  # type: ignore[arg-type]


def lock_cursors(session: Session, teams: Iterable[str]) -> dict[str, RoutingCursor]:
    """Lock the cursor rows of ``teams`` in name order (one statement); create missing ones.

    Every worker locks in the same order, so two of them never wait on each other in a cycle.
    """
    wanted = sorted(set(teams))
    statement = (
        select(RoutingCursor)
        .where(RoutingCursor.team.in_(wanted))
        .order_by(RoutingCursor.team)
        .with_for_update()
    )
    rows = {row.team: row for row in session.execute(statement).scalars()}
    for team in wanted:
        if team not in rows:  # normally created ahead by ensure_cursors
            rows[team] = lock_cursor(session, team)
    return rows


def last_assignment_id(session: Session) -> int | None:
    """The newest assignment's id (an index lookup)."""
    return session.execute(select(func.max(RoutingAssignment.id))).scalar()


def counts_on(session: Session, owners: Iterable[str], day: str) -> dict[str, int]:
    """Assignments per owner on ``day`` (for daily caps)."""
    rows = session.execute(
        select(RoutingAssignment.owner, func.count())
        .where(RoutingAssignment.owner.in_(list(owners)), RoutingAssignment.day == day)
        .group_by(RoutingAssignment.owner)
    ).all()
    return {owner: count for owner, count in rows}


def record_responses(session: Session, keys: Iterable[str], at: datetime) -> int:
    """Mark first responses seen (a status change or activity in the CRM)."""
    result = session.execute(
        update(RoutingAssignment)
        .where(RoutingAssignment.lead_key.in_(list(keys)), RoutingAssignment.responded_at.is_(None))
        .values(responded_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def breaches(session: Session, now: datetime, limit: int = 500) -> list[RoutingAssignment]:
    """Assignments whose first-response deadline passed with no response and no escalation."""
    return list(
        session.execute(
            select(RoutingAssignment)
            .where(
                RoutingAssignment.first_response_due < now,
                RoutingAssignment.responded_at.is_(None),
                RoutingAssignment.escalated_at.is_(None),
            )
            .order_by(RoutingAssignment.first_response_due)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def decisions(session: Session, lead_key: str, limit: int = 100) -> list[AuditEntry]:
    """The routing trail of one lead (``route`` and ``sla`` audit entries), oldest first."""
    return list(
        session.execute(
            select(AuditEntry)
            .where(AuditEntry.record == lead_key, AuditEntry.kind.in_(("route", "sla")))
            .order_by(AuditEntry.id)
            .limit(limit)
        ).scalars()
    )


def due(session: Session, now: datetime, limit: int = 500) -> list[RoutingAssignment]:
    """Like :func:`breaches` but without locking: a read-only list of missed deadlines."""
    return list(
        session.execute(
            select(RoutingAssignment)
            .where(
                RoutingAssignment.first_response_due < now,
                RoutingAssignment.responded_at.is_(None),
                RoutingAssignment.escalated_at.is_(None),
            )
            .order_by(RoutingAssignment.first_response_due, RoutingAssignment.id)
            .limit(limit)
        ).scalars()
    )


def lock_assignment(session: Session, lead_key: str) -> RoutingAssignment | None:
    """Return one assignment row locked until the caller's transaction ends (None if absent)."""
    return session.execute(
        select(RoutingAssignment).where(RoutingAssignment.lead_key == lead_key).with_for_update()
    ).scalar_one_or_none()
