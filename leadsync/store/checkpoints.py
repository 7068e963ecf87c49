"""Incremental-read watermarks, written only under a current lease.

A watermark is inclusive: the next read asks for records at or after ``cursor`` and skips the
ids in ``seen_at_cursor`` (already done at exactly that instant). Updates that share the
watermark timestamp are therefore neither skipped nor applied twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.store.leases import Lease, guard
from leadsync.store.models import Checkpoint


@dataclass(frozen=True)
class Watermark:
    """Where the next incremental read of one source object starts."""

    cursor: datetime | None = None
    seen: frozenset[str] = field(default_factory=frozenset)

    def admits(self, record_id: str, updated_at: datetime) -> bool:
        """True when a record read back from ``cursor`` on still needs processing."""
        if self.cursor is None or updated_at > self.cursor:
            return True
        return updated_at == self.cursor and record_id not in self.seen

    def advanced(self, records: Iterable[tuple[str, datetime]]) -> Watermark:
        """Return the watermark after ``records`` (id, updated_at) are durably done."""
        cursor, seen = self.cursor, set(self.seen)
        for record_id, updated_at in records:
            if cursor is None or updated_at > cursor:
                cursor, seen = updated_at, {record_id}
            elif updated_at == cursor:
                seen.add(record_id)
        return Watermark(cursor, frozenset(seen))


def load(factory: sessionmaker[Session], job: str, connector: str, obj: str) -> Watermark:
    """Return the stored watermark (empty when the job never ran)."""
    with factory() as session:
        row = session.get(Checkpoint, (job, connector, obj))
        if row is None:
            return Watermark()
        return Watermark(row.cursor, frozenset(row.seen_at_cursor))


def save(
    session: Session,
    lease: Lease,
    connector: str,
    obj: str,
    watermark: Watermark,
    *,
    now: datetime,
) -> None:
    """Store ``watermark`` in the caller's transaction, if ``lease`` is still current.

    Raises:
        LeaseLostError: a newer holder owns the job; the caller's transaction must roll back.
    """
    guard(session, lease)
    row = session.execute(
        select(Checkpoint).where(
            Checkpoint.job == lease.job, Checkpoint.connector == connector, Checkpoint.object == obj
        )
    ).scalar_one_or_none()
    if row is None:
        row = Checkpoint(job=lease.job, connector=connector, object=obj)
        session.add(row)
    row.cursor = watermark.cursor
    row.seen_at_cursor = sorted(watermark.seen)
    row.fencing = lease.fencing
    row.updated_at = now


def save_unfenced(
    session: Session, job: str, connector: str, obj: str, watermark: Watermark, *, now: datetime
) -> None:
    """Store ``watermark`` for a reader that holds no job lease (the webhook path's refresh).

    Such a reader keeps its own ``job`` key, so it never competes with a leased run's mark.
    """
    row = session.get(Checkpoint, (job, connector, obj))
    if row is None:
        row = Checkpoint(job=job, connector=connector, object=obj, fencing=0)
        session.add(row)
    row.cursor = watermark.cursor
    row.seen_at_cursor = sorted(watermark.seen)
    row.updated_at = now
