"""The dead-letter queue: records that failed, with why, until replayed, parked or discarded.

A retryable failure (row lock, timeout) is retried on later runs with exponential backoff; after
``max_attempts`` it is parked and needs a person (``leadsync dlq replay``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.store.models import DeadLetter

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)


@dataclass(frozen=True)
class Failure:
    """Why one record failed."""

    source: str  # system:object:id
    payload: dict[str, Any]
    stage: str  # map, match, route, gate, push
    message: str
    code: str | None = None
    field: str | None = None
    retryable: bool = False


def put(
    session: Session,
    job: str,
    failure: Failure,
    *,
    now: datetime,
    run_id: int | None,
    max_attempts: int,
) -> DeadLetter:
    """Add or update the dead letter of ``failure.source`` for ``job``."""
    row = session.execute(
        select(DeadLetter).where(DeadLetter.job == job, DeadLetter.source == failure.source)
    ).scalar_one_or_none()
    if row is None:
        row = DeadLetter(job=job, source=failure.source, first_failed_at=now, attempts=0)
        session.add(row)
    row.attempts += 1
    row.payload = failure.payload
    row.stage = failure.stage
    row.error_code = failure.code
    row.error_message = failure.message
    row.field = failure.field
    row.retryable = failure.retryable
    row.last_failed_at = now
    row.run_id = run_id
    if failure.retryable and row.attempts < max_attempts:
        row.status = "pending"
        delay = min(BACKOFF_BASE * (2 ** (row.attempts - 1)), BACKOFF_CAP)
        row.next_attempt_at = now + delay
    else:
        row.status = "parked"
        row.next_attempt_at = None
    return row


def resolve(session: Session, job: str, source: str) -> None:
    """Mark the dead letter of ``source`` replayed after the record went through."""
    row = session.execute(
        select(DeadLetter).where(DeadLetter.job == job, DeadLetter.source == source)
    ).scalar_one_or_none()
    if row is not None and row.status in ("pending", "parked"):
        row.status = "replayed"
        row.next_attempt_at = None


def resolve_many(session: Session, job: str, sources: Iterable[str]) -> None:
    """:func:`resolve` for many sources, one query per chunk (most have no dead letter)."""
    keys = list(dict.fromkeys(sources))
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(DeadLetter).where(
                DeadLetter.job == job,
                DeadLetter.source.in_(keys[start : start + 500]),
                DeadLetter.status.in_(("pending", "parked")),
            )
        ).scalars()
        for row in rows:
            row.status = "replayed"
            row.next_attempt_at = None


def due(session: Session, job: str, now: datetime, limit: int = 1_000) -> list[DeadLetter]:
    """Return retryable dead letters whose backoff has passed."""
    return list(
        session.execute(
            select(DeadLetter)
            .where(DeadLetter.job == job, DeadLetter.status == "pending")
            .where(DeadLetter.next_attempt_at <= now)
            .order_by(DeadLetter.id)
            .limit(limit)
        ).scalars()
    )


def listing(
    session: Session, *, job: str | None = None, status: str | None = None
) -> list[DeadLetter]:
    """Return dead letters, newest first, optionally filtered."""
    query = select(DeadLetter).order_by(DeadLetter.id.desc())
    if job:
        query = query.where(DeadLetter.job == job)
    if status:
        query = query.where(DeadLetter.status == status)
    return list(session.execute(query).scalars())


def requeue(session: Session, ids: list[int], now: datetime) -> int:
    """Make dead letters due now (``dlq replay``); returns how many were requeued."""
    rows = session.execute(select(DeadLetter).where(DeadLetter.id.in_(ids))).scalars()
    count = 0
    for row in rows:
        if row.status in ("pending", "parked"):
            row.status, row.next_attempt_at, count = "pending", now, count + 1
    return count


def discard(session: Session, ids: list[int]) -> int:
    """Drop dead letters from the queue (kept as ``discarded`` for the record)."""
    rows = session.execute(select(DeadLetter).where(DeadLetter.id.in_(ids))).scalars()
    count = 0
    for row in rows:
        if row.status in ("pending", "parked"):
            row.status, count = "discarded", count + 1
    return count
