"""Job leases with fencing numbers: at most one running holder per job, stale holders rejected.

A claim bumps ``fencing``; every durable write of a run (checkpoints, outcomes) first calls
:func:`guard` inside its own transaction, which only succeeds while the lease row still carries
the holder's fencing number. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so workers
on many machines never wait on one another; on SQLite ``BEGIN IMMEDIATE`` serialises the same
statements (``FOR UPDATE`` renders as nothing there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import LeaseLostError
from leadsync.store.dialect import insert_ignore
from leadsync.store.engine import transaction
from leadsync.store.models import JobLease


@dataclass(frozen=True)
class Lease:
    """A held claim on a job."""

    job: str
    holder: str
    fencing: int
    expires_at: datetime


def claim(
    factory: sessionmaker[Session], job: str, holder: str, *, now: datetime, ttl: timedelta
) -> Lease | None:
    """Take the lease on ``job`` if nobody holds it or the holder's lease expired.

    Returns:
        The new lease, or None when another live holder has it (or is claiming it now).
    """
    with transaction(factory) as session:
        insert_ignore(session, JobLease.__table__, {"job": job, "fencing": 0})  # type: ignore[arg-type]
    with transaction(factory) as session:
        row = session.execute(
            select(JobLease).where(JobLease.job == job).with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if row is None or not _claimable(row, holder, now):
            return None
        return _take(row, holder, now, ttl)


def claim_any(
    factory: sessionmaker[Session],
    jobs: list[str],
    holder: str,
    *,
    now: datetime,
    ttl: timedelta,
) -> Lease | None:
    """Take the first free, unpaused lease among ``jobs`` (rows must exist, see :func:`claim`)."""
    with transaction(factory) as session:
        row = session.execute(
            select(JobLease)
            .where(
                JobLease.job.in_(jobs),
                or_(JobLease.holder.is_(None), JobLease.expires_at < now),
                or_(JobLease.paused_until.is_(None), JobLease.paused_until <= now),
            )
            .order_by(JobLease.job)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        return None if row is None else _take(row, holder, now, ttl)


def _claimable(row: JobLease, holder: str, now: datetime) -> bool:
    if row.paused_until is not None and row.paused_until > now:
        return False
    free = row.holder is None or row.expires_at is None or row.expires_at <= now
    return free or row.holder == holder


def _take(row: JobLease, holder: str, now: datetime, ttl: timedelta) -> Lease:
    row.fencing += 1
    row.holder = holder
    row.expires_at = now + ttl
    return Lease(row.job, holder, row.fencing, row.expires_at)


def guard(session: Session, lease: Lease) -> None:
    """Assert, inside the caller's transaction, that ``lease`` is still current.

    The row update also locks the lease row until the caller commits, so a takeover cannot
    slip in between this check and the caller's writes.

    Raises:
        LeaseLostError: the job was claimed by someone else since.
    """
    result = session.execute(
        update(JobLease)
        .where(JobLease.job == lease.job, JobLease.fencing == lease.fencing)
        .values(holder=lease.holder)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise LeaseLostError(f"lease on job {lease.job!r} (fencing {lease.fencing}) was lost")


def renew(factory: sessionmaker[Session], lease: Lease, *, now: datetime, ttl: timedelta) -> Lease:
    """Extend ``lease``.

    Raises:
        LeaseLostError: the job was claimed by someone else since.
    """
    with transaction(factory) as session:
        guard(session, lease)
        expires = now + ttl
        session.execute(
            update(JobLease).where(JobLease.job == lease.job).values(expires_at=expires)
        )
    return Lease(lease.job, lease.holder, lease.fencing, expires)


def release(
    factory: sessionmaker[Session], lease: Lease, *, paused_until: datetime | None = None
) -> None:
    """Give the lease up (optionally pausing the job); a lost lease is left alone."""
    with transaction(factory) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job == lease.job, JobLease.fencing == lease.fencing)
            .values(holder=None, expires_at=None, paused_until=paused_until)
        )
