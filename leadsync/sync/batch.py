"""One batch through the pipeline: ingest and plan, push, then record and checkpoint.

:func:`run_batch` runs the steps one after the other. The steps are also separate functions,
each in the caller's transaction, so that :mod:`leadsync.sync.overlap` can push one batch
while it ingests the next.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadsync.connectors.base import Record
from leadsync.mapping import Mapping
from leadsync.store import checkpoints
from leadsync.store.checkpoints import Watermark
from leadsync.store.engine import transaction
from leadsync.store.leases import guard
from leadsync.store.models import RecordOutcome
from leadsync.sync.context import RunContext
from leadsync.sync.ingest import Ingested, ingest
from leadsync.sync.plan import Change
from leadsync.sync.planner import plan
from leadsync.sync.push import Pushed, push, record
from leadsync.sync.readahead import Prepared
from leadsync.sync.review import block


@dataclass(frozen=True)
class SourceBatch:
    """A batch of records from one source object."""

    system: str
    object: str
    mapping: Mapping
    records: Sequence[Record]
    watermark: Watermark
    checkpoint: bool = True
    prepared: Prepared | None = None  # mapped and keyed by a read-ahead process

    @functools.cached_property
    def watermark_after(self) -> Watermark:
        """The source's watermark once this batch is done (worked out once)."""
        return self.watermark.advanced((r.id, r.updated_at) for r in self.records)


@dataclass
class Planned:
    """A batch ingested and planned: what its push needs and its record step writes."""

    batch: SourceBatch
    ingested: Ingested
    changes: list[Change] = field(default_factory=list)
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)  # target's, by golden


def run_batch(ctx: RunContext, batch: SourceBatch) -> tuple[list[Change], Watermark]:
    """Process ``batch`` and return its changes and the source watermark after it.

    The golden side commits before the push, so a crash after it re-reads the same records,
    finds their identities and upserts under the same golden keys: nothing is created twice.
    The checkpoint only moves in the transaction that records the push's outcome.
    """
    session = ctx.factory()
    try:
        session.begin()
        planned = plan_batch(ctx, session, batch, ingest_batch(ctx, session, batch))
        if ctx.dry_run:
            ctx.stats.dead_lettered += len(planned.ingested.failures)
            for change in planned.changes:
                ctx.stats.count(change)
            session.rollback()
            return planned.changes, batch.watermark
        session.commit()
    finally:
        session.close()
    pushed = push(ctx, planned.changes)
    with transaction(ctx.factory) as session:
        record_batch(ctx, session, planned, pushed)
    return planned.changes, batch.watermark_after


def ingest_batch(ctx: RunContext, session: Session, batch: SourceBatch) -> Ingested:
    """Fold ``batch`` into golden leads in ``session``, after checking the run's lease."""
    if ctx.lease is not None and not ctx.dry_run:
        guard(session, ctx.lease)
    return ingest(
        ctx,
        session,
        batch.system,
        batch.object,
        batch.mapping,
        batch.records,
        prepared=batch.prepared,
    )


def plan_batch(
    ctx: RunContext, session: Session, batch: SourceBatch, ingested: Ingested
) -> Planned:
    """Plan the target's changes for an ingested batch, and count what it read and matched."""
    changes, snapshots = plan(ctx, session, ingested)
    ctx.stats.read += len(batch.records)
    ctx.stats.matched += ingested.matched
    ctx.stats.review += len(ingested.reviews)
    ctx.stats.deleted += len(ingested.deleted)
    return Planned(batch, ingested, changes, snapshots)


def record_batch(ctx: RunContext, session: Session, planned: Planned, pushed: Pushed) -> None:
    """Record the push of a planned batch in ``session`` and move its checkpoint past it."""
    batch, ingested, changes = planned.batch, planned.ingested, planned.changes
    by_source = {f"{batch.system}:{r.object}:{r.id}": r for r in batch.records}
    # A copy: record() adds the push's failures to the list it gets, and a batch whose
    # recording was rolled back is recorded again (leadsync.sync.overlap).
    failures = list(ingested.failures)
    record(ctx, session, changes, pushed, failures, planned.snapshots, by_source)
    session.add_all(
        RecordOutcome(
            run_id=ctx.run_id,
            source=source,
            action="match",
            status="review",
            reason="ambiguous match: waiting in the review queue",
            at=ctx.clock(),
        )
        for source in ingested.reviews
        if ctx.run_id is not None
    )
    for change in changes:
        if change.action == "review" and change.golden_id is not None:
            block(
                session,
                change.sources[-1],
                f"g:{change.golden_id}",
                change.missing,
                now=ctx.clock(),
            )
    if ctx.lease is not None and batch.checkpoint:
        after = batch.watermark_after
        checkpoints.save(session, ctx.lease, batch.system, batch.object, after, now=ctx.clock())
