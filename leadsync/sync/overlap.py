"""Push a batch while the next one is ingested.

A batch's push mostly waits on the CRM. :class:`Overlapped` sends it from a thread and,
meanwhile, ingests the next batch. The push's outcome is recorded in that next batch's
transaction, after its ingest and before its plan (the plan needs the target ids the push
returned), so one transaction per batch holds:

    ingest batch N+1, record the push of batch N and its checkpoint, plan batch N+1

and the push of batch N+1 starts once it has committed. Pushes still run one at a time, in
batch order, and each after the batch before it was recorded. What a crash can leave is what
the serial engine can leave: a push the CRM accepted and the store has not recorded, which the
next run re-reads from the checkpoint and finds again (write ledger, external-id upsert and the
refreshed index), and the golden side of one more batch, committed and not yet pushed.

When the transaction fails, the push in flight is still recorded, in a transaction of its own,
before the error goes on, as the serial engine would have recorded it before the failing batch.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from leadsync.store.engine import transaction
from leadsync.store.leases import guard
from leadsync.sync.batch import Planned, SourceBatch, ingest_batch, plan_batch, record_batch
from leadsync.sync.context import RunContext
from leadsync.sync.plan import Change, RunStats
from leadsync.sync.push import Pushed, push

log = logging.getLogger(__name__)

Done = Callable[[list[Change]], None]


class Overlapped:
    """Runs one source's batches with each push overlapping the next batch's ingest.

    Args:
        ctx: The run (not a dry run: a plan pushes nothing).
        done: Called with a batch's changes once its push is recorded.

    Call :meth:`run` per batch, then :meth:`settle` to record the last push; :meth:`close`
    ends the push thread.
    """

    def __init__(self, ctx: RunContext, done: Done) -> None:
        self._ctx = ctx
        self._done = done
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"push {ctx.job.name}")
        self._in_flight: tuple[Planned, Future[Pushed]] | None = None

    def run(self, batch: SourceBatch) -> None:
        """Ingest ``batch``, record the push in flight, plan ``batch`` and start its push."""
        ctx = self._ctx
        counted = _copy(ctx.stats)
        recorded = self._in_flight
        try:
            with transaction(ctx.factory) as session:
                if ctx.lease is not None:
                    guard(session, ctx.lease)
                planned = ingest_batch(ctx, session, batch)
                if recorded is not None:
                    record_batch(ctx, session, recorded[0], recorded[1].result())
                plan_batch(ctx, session, planned)
        except BaseException:
            _restore(ctx.stats, counted)  # nothing of this transaction happened
            raise
        self._in_flight = None
        if recorded is not None:
            self._done(recorded[0].changes)
        self._in_flight = (planned, self._pool.submit(push, ctx, planned.changes))

    def settle(self, *, quietly: bool = False) -> None:
        """Wait for the push in flight, if any, and record it in a transaction of its own.

        Args:
            quietly: Log a failure instead of raising it (an error is on its way already).
        """
        if self._in_flight is None:
            return
        ctx = self._ctx
        planned, future = self._in_flight
        self._in_flight = None
        counted = _copy(ctx.stats)
        try:
            pushed = future.result()
            with transaction(ctx.factory) as session:
                record_batch(ctx, session, planned, pushed)
        except BaseException:
            _restore(ctx.stats, counted)
            if not quietly:
                raise
            log.exception("%s: recording the last push failed", ctx.job.name)
            return
        self._done(planned.changes)

    def close(self) -> None:
        """End the push thread (after the push in flight, if any, ends)."""
        self._pool.shutdown(wait=True)


def _copy(stats: RunStats) -> RunStats:
    return dataclasses.replace(stats)


def _restore(stats: RunStats, saved: RunStats) -> None:
    # In place: the run's report holds this object.
    for name in stats.as_dict():
        setattr(stats, name, getattr(saved, name))
