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
from leadsync.store.models import RoutingAssignment, RoutingCursor


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
