"""Refresh the golden records from the target itself, so matching sees what already exists.

This is the "kept fresh by incremental pulls" half of match-before-create: records created in
the CRM by people (or by an earlier run whose bookkeeping was lost in a crash) are linked to
golden leads before anything new is planned, with no API call per incoming record.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Source
from leadsync.mapping import Mapping
from leadsync.store import checkpoints
from leadsync.store.dialect import insert_ignore
from leadsync.store.engine import transaction
from leadsync.store.leases import guard
from leadsync.store.models import JobLease
from leadsync.sync.context import RunContext
from leadsync.sync.escalation import record_responses, responded
from leadsync.sync.ingest import ingest

REFRESH_BATCH = 1_000


def _lock_target(session: Session, name: str, obj: str) -> None:
    """Serialise refreshes of one target across jobs (until the caller's transaction ends).

    Two jobs writing to the same CRM object would otherwise insert the same identities at once.
    SQLite's ``BEGIN IMMEDIATE`` already serialises; on PostgreSQL this is a row lock.
    """
    key = f"refresh:{name}:{obj}"
    insert_ignore(session, JobLease.__table__, {"job": key, "fencing": 0})  # type: ignore[arg-type]
    session.execute(select(JobLease).where(JobLease.job == key).with_for_update())


def refresh_all(ctx: RunContext, connector: Source) -> None:
    """Refresh the target object and, when the CRM has one, its contact object."""
    refresh_target(ctx, connector)
    target = ctx.target
    if target.contact_object is not None and target.contact_mapping is not None:
        refresh_target(ctx, connector, target.contact_object, target.contact_mapping)


def refresh_target(
    ctx: RunContext, connector: Source, obj: str | None = None, mapping: Mapping | None = None
) -> None:
    """Read one target object's changes since the last refresh into golden leads.

    Args:
        ctx: The run.
        connector: The target, as a source.
        obj: The object (default: the job's target object).
        mapping: Its mapping (default: the target mapping).
    """
    target = ctx.target
    obj = obj or target.object
    mapping = mapping or target.mapping
    # A reader without a lease (the webhook path) keeps a watermark of its own.
    job_key = ctx.job.name if ctx.lease is not None else f"{ctx.job.name}@inbox"
    mark = checkpoints.load(ctx.factory, job_key, target.name, obj)
    key_field = None if target.key_is_natural else target.key_field
    records = (r for r in connector.read(obj, since=mark.cursor) if mark.admits(r.id, r.updated_at))
    while chunk := list(itertools.islice(records, REFRESH_BATCH)):
        with transaction(ctx.factory) as session:
            if ctx.lease is not None and not ctx.dry_run:
                guard(session, ctx.lease)
            _lock_target(session, target.name, obj)
            answered = responded(ctx, session, chunk) if obj == target.object else []
            ingest(
                ctx,
                session,
                target.name,
                obj,
                mapping,
                chunk,
                key_field=key_field,
                keep_snapshot=True,
            )
            mark = mark.advanced((r.id, r.updated_at) for r in chunk)
            if ctx.lease is not None and not ctx.dry_run:
                checkpoints.save(session, ctx.lease, target.name, obj, mark, now=ctx.clock())
            elif not ctx.dry_run:
                checkpoints.save_unfenced(session, job_key, target.name, obj, mark, now=ctx.clock())
            if ctx.dry_run:
                session.rollback()
        ctx.stats.target_refreshed += len(chunk)
        # After the commit: the SLA store has transactions of its own.
        record_responses(ctx, answered)
