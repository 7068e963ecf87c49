"""One batch through the pipeline: ingest and plan, push, then record and checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadsync.connectors.base import Record
from leadsync.mapping import Mapping
from leadsync.store import checkpoints
from leadsync.store.checkpoints import Watermark
from leadsync.store.engine import transaction
from leadsync.store.leases import guard
from leadsync.store.models import RecordOutcome
from leadsync.sync.context import RunContext
from leadsync.sync.ingest import ingest
from leadsync.sync.plan import Change
from leadsync.sync.planner import plan
from leadsync.sync.push import push, record
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


def run_batch(ctx: RunContext, batch: SourceBatch) -> tuple[list[Change], Watermark]:
    """Process ``batch`` and return its changes and the source watermark after it.

    The golden side commits before the push, so a crash after it re-reads the same records,
    finds their identities and upserts under the same golden keys: nothing is created twice.
    The checkpoint only moves in the transaction that records the push's outcome.
    """
    session = ctx.factory()
    try:
        session.begin()
        if ctx.lease is not None and not ctx.dry_run:
            guard(session, ctx.lease)
        ingested = ingest(
            ctx,
            session,
            batch.system,
            batch.object,
            batch.mapping,
            batch.records,
            prepared=batch.prepared,
        )
        changes, snapshots = plan(ctx, session, ingested)
        ctx.stats.read += len(batch.records)
        ctx.stats.matched += ingested.matched
        ctx.stats.review += len(ingested.reviews)
        ctx.stats.deleted += len(ingested.deleted)
        if ctx.dry_run:
            ctx.stats.dead_lettered += len(ingested.failures)
            for change in changes:
                ctx.stats.count(change)
            session.rollback()
            return changes, batch.watermark
        session.commit()
    finally:
        session.close()
    pushed = push(ctx, changes)
    after = batch.watermark.advanced((r.id, r.updated_at) for r in batch.records)
    with transaction(ctx.factory) as session:
        by_source = {f"{batch.system}:{r.object}:{r.id}": r for r in batch.records}
        record(ctx, session, changes, pushed, ingested.failures, snapshots, by_source)
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
            checkpoints.save(session, ctx.lease, batch.system, batch.object, after, now=ctx.clock())
    return changes, after
