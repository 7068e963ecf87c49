"""Durable routing state: round-robin cursors, assignments, daily counts and SLA clocks.

Cursor rows are read ``FOR UPDATE`` (PostgreSQL) or under ``BEGIN IMMEDIATE`` (SQLite), so
workers assigning from the same team at once take consecutive slots, never the same one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, String, Table, bindparam, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from leadsync.store.dialect import append_rows, insert_ignore
from leadsync.store.models import AuditEntry, RoutingAssignment, RoutingCursor, RoutingDayCount

_ASSIGNMENTS = cast(Table, RoutingAssignment.__table__)
_COUNTS = cast(Table, RoutingDayCount.__table__)
_CURSORS = cast(Table, RoutingCursor.__table__)


def existing(session: Session, keys: Iterable[str]) -> dict[str, RoutingAssignment]:
    """Return the assignments already made for ``keys`` (one unique-index probe per key)."""
    wanted = list(keys)
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_EXISTING_PG, {"keys": wanted}).scalars()
        return {row.lead_key: row for row in rows}
    found: dict[str, RoutingAssignment] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(RoutingAssignment).where(
                RoutingAssignment.lead_key.in_(wanted[start : start + 500])
            )
        ).scalars()
        found.update((row.lead_key, row) for row in rows)
    return found


def _existing_pg() -> Select[RoutingAssignment]:
    # Not ``lead_key IN (...)``: psycopg prepares a statement after a few runs, and its generic
    # plan for a table the planner had no statistics of was a sequential scan comparing every
    # row with all 500 parameters (0.5 s a batch at 40,000 rows). A LIMITed lateral subquery
    # cannot be flattened into a join, so each key is one probe of the unique index whatever
    # the statistics say: the cost stays flat as the table grows.
    keys = func.unnest(bindparam("keys", type_=postgresql.ARRAY(String)))
    key = keys.table_valued("key").render_derived(name="k")
    one = (
        select(RoutingAssignment)
        .where(RoutingAssignment.lead_key == key.c.key)
        .limit(1)
        .lateral("found")
    )
    return select(aliased(RoutingAssignment, one)).select_from(key).join(one, true())


_EXISTING_PG = _existing_pg()


def lock_cursor(session: Session, team: str) -> int:
    """Return the team's cursor position, its row locked until the caller's transaction ends."""
    insert_ignore(session, _CURSORS, {"team": team, "position": 0})
    return int(
        session.execute(
            select(_CURSORS.c.position).where(_CURSORS.c.team == team).with_for_update()
        ).scalar_one()
    )


def cursor_position(session: Session, team: str) -> int:
    """Return the team's cursor position without locking it (0 before its first assignment)."""
    found = session.execute(select(_CURSORS.c.position).where(_CURSORS.c.team == team)).scalar()
    return int(found or 0)


def ensure_cursors(session: Session, teams: Iterable[str]) -> None:
    """Create the missing cursor rows (position 0) of ``teams``."""
    known = set(session.execute(select(RoutingCursor.team)).scalars())
    for team in sorted(set(teams) - known):
        insert_ignore(session, _CURSORS, {"team": team, "position": 0})


def lock_cursors(session: Session, teams: Iterable[str]) -> dict[str, int]:
    """Lock the cursor rows of ``teams`` in name order (one statement); create missing ones.

    Every worker locks in the same order, so two of them never wait on each other in a cycle.

    Returns:
        Each team's cursor position.
    """
    wanted = sorted(set(teams))
    statement = (
        select(_CURSORS.c.team, _CURSORS.c.position)
        .where(_CURSORS.c.team.in_(wanted))
        .order_by(_CURSORS.c.team)
        .with_for_update()
    )
    positions = {team: int(position) for team, position in session.execute(statement)}
    for team in wanted:
        if team not in positions:  # normally created ahead by ensure_cursors
            positions[team] = lock_cursor(session, team)
    return positions


def save_positions(session: Session, positions: Mapping[str, int]) -> None:
    """Write new cursor positions to their rows (locked by this transaction)."""
    if positions:
        # Table rows, not ORM objects: loading and flushing cursor objects cost more than this.
        session.execute(
            update(_CURSORS)
            .where(_CURSORS.c.team == bindparam("cursor_team"))
            .values(position=bindparam("cursor_position")),
            [{"cursor_team": team, "cursor_position": p} for team, p in positions.items()],
        )


def record_assignments(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new ``routing_assignments`` rows and count them in their owners' day counts."""
    append_rows(session, _ASSIGNMENTS, rows)
    add_counts(session, Counter((row["day"], row["owner"]) for row in rows))


def move_count(session: Session, day: str, old_owner: str, new_owner: str) -> None:
    """Count one assignment of ``day`` for ``new_owner`` instead of ``old_owner``."""
    if new_owner != old_owner:
        add_counts(session, {(day, old_owner): -1, (day, new_owner): 1})


def add_counts(session: Session, deltas: Mapping[tuple[str, str], int]) -> None:
    """Add ``deltas`` (``(day, owner)`` → n) to the day counts (one upsert per owner).

    Rows are written in key order, so two transactions never wait on each other in a cycle.
    """
    rows = [
        {"day": day, "owner": owner, "assigned": n}
        for (day, owner), n in sorted(deltas.items())
        if n
    ]
    if not rows:
        return
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(_COUNTS)
    statement = statement.on_conflict_do_update(
        index_elements=[_COUNTS.c.day, _COUNTS.c.owner],
        set_={"assigned": _COUNTS.c.assigned + statement.excluded.assigned},
    )
    session.execute(statement, rows)


def counts_on(session: Session, owners: Iterable[str], day: str) -> dict[str, int]:
    """Assignments per owner on ``day`` (for daily caps): a few rows, however busy the day."""
    # The whole day (one row per owner who got a lead) costs less than binding an IN list.
    wanted = set(owners)
    rows = session.execute(_DAY_COUNTS, {"day": day})
    return {owner: assigned for owner, assigned in rows if owner in wanted}


_DAY_COUNTS = select(RoutingDayCount.owner, RoutingDayCount.assigned).where(
    RoutingDayCount.day == bindparam("day")
)


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
