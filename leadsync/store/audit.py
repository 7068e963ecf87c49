"""The append-only audit trail: every CRM write and every decision, with both values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from leadsync.store.dialect import append_rows
from leadsync.store.models import AuditEntry

_TABLE = cast(Table, AuditEntry.__table__)


@dataclass(frozen=True)
class Event:
    """One audit entry before it is stored."""

    kind: str  # write, field, match, route, gate, sla, review
    golden_id: int | None = None
    system: str | None = None
    record: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None
    rule: str | None = None
    detail: str | None = None


def append(session: Session, events: list[Event], *, now: datetime, run_id: int | None) -> None:
    """Add ``events`` to the trail in the caller's transaction (one multi-row insert)."""
    if events:
        # Plain rows, not ORM objects: the per-object bookkeeping cost more than the SQL.
        append_rows(session, _TABLE, [{"at": now, "run_id": run_id, **e.__dict__} for e in events])


def for_golden(session: Session, golden_id: int, limit: int = 500) -> list[AuditEntry]:
    """Return the trail of one golden lead, oldest first (routing entries name its key)."""
    return list(
        session.execute(
            select(AuditEntry)
            .where(or_(AuditEntry.golden_id == golden_id, AuditEntry.record == f"ls-{golden_id}"))
            .order_by(AuditEntry.id)
            .limit(limit)
        ).scalars()
    )
