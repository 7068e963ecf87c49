"""Cron ticks recorded once per (job, fire time): whichever worker inserts first fires it."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter
from sqlalchemy.orm import Session, sessionmaker

from leadsync.store.dialect import insert_ignore
from leadsync.store.engine import transaction
from leadsync.store.models import CronTick


def due_fire_time(schedule: str, now: datetime) -> datetime:
    """Return the latest fire time of ``schedule`` at or before ``now`` (UTC)."""
    base = now.replace(second=0, microsecond=0)
    itr = croniter(schedule, base)
    if croniter.match(schedule, base):
        return base
    previous: datetime = itr.get_prev(datetime)
    return previous


def claim_tick(
    factory: sessionmaker[Session], job: str, fire_at: datetime, worker: str, *, now: datetime
) -> bool:
    """Record that ``worker`` fires ``job`` for ``fire_at``.

    Returns:
        True for exactly one caller per (job, fire_at), whatever the number of workers.
    """
    with transaction(factory) as session:
        values = {"job": job, "fire_at": fire_at, "worker": worker, "claimed_at": now}
        return insert_ignore(session, CronTick.__table__, values)  # type: ignore[arg-type]
