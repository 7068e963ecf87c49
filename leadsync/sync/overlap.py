"""Push a batch while the next one is ingested.

A batch's push mostly waits on the CRM. :class:`Overlapped` sends it from a thread and,
meanwhile, ingests the next batch. Per batch N+1 it runs two transactions, and never holds one
open while it waits for the CRM:

1. ingest batch N+1 (golden leads, identities, match index), committed on its own, while the
   push of batch N runs;
2. once that push has answered: record it and move batch N's checkpoint, then plan batch N+1
   (the plan needs the target ids the push returned), committed together.

Then the push of batch N+1 starts. Pushes run one at a time, in batch order, each after the
batch before it was recorded. Ingesting batch N+1 before recording batch N is safe because
ingest reads nothing that recording writes (target identities, outcomes, dead letters, audit,
the review queue's blocks of batch N's own records).

The caller records a finished push before it waits on its source (:meth:`Overlapped.settle`
when the next batch is not ready), so a slow or stalled read never leaves an accepted push
unrecorded. What a crash can leave is what the serial engine can leave: a push the CRM accepted
and the store has not recorded (the next run re-reads from the checkpoint and finds it again:
write ledger, external-id upsert, the refreshed index) and the golden side of one more batch,
committed and not yet pushed. When a step fails, the push in flight is still recorded, in a
transaction of its own, before the error goes on, as the serial engine would have recorded it
before the failing batch.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from leadsync.store.engine import transaction
from leadsync.sync.batch import Planned, SourceBatch, ingest_batch, plan_batch, record_batch
from leadsync.sync.context import RunContext
from leadsync.sync.plan import RunStats
from leadsync.sync.push import Pushed, push

log = logging.getLogger(__name__)

Done = Callable[[Planned], None]


class Overlapped:
    """Runs one source's batches, each push overlapping the next batch's ingest.

    Args:
        ctx: The run (not a dry run: a plan pushes nothing).
        done: Called with a batch once its push is recorded and its checkpoint moved.

    Call :meth:`run` per batch and :meth:`settle` after the last, before waiting on the
    source, and (``quietly``) when :meth:`run` raised; :meth:`close` ends the push thread.
    """

    def __init__(self, ctx: RunContext, done: Done) -> None:
        self._ctx = ctx
        self._done = done
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"push {ctx.job.name}")
        self._in_flight: tuple[Planned, Future[Pushed]] | None = None

    @property
    def in_flight(self) -> bool:
        """True while a batch's push is not recorded yet."""
        return self._in_flight is not None

    def answered(self) -> bool:
        """True when the push in flight has ended (recording it will not wait)."""
        return self._in_flight is not None and self._in_flight[1].done()

    def run(self, batch: SourceBatch) -> None:
        """Ingest ``batch``, record the push in flight, plan ``batch`` and start its push."""
        ctx = self._ctx
        with transaction(ctx.factory) as session:
            ingested = ingest_batch(ctx, session, batch)
        previous, self._in_flight = self._in_flight, None
        pushed = previous[1].result() if previous is not None else None  # a push error: raised
        counted = dataclasses.replace(ctx.stats)
        try:
            with transaction(ctx.factory) as session:
                if previous is not None and pushed is not None:
                    record_batch(ctx, session, previous[0], pushed)
                planned = plan_batch(ctx, session, batch, ingested)
        except BaseException:
            _restore(ctx.stats, counted)  # nothing of that transaction happened
            if previous is not None and pushed is not None:
                self._record_alone(previous[0], pushed, quietly=True)
            raise
        if previous is not None:
            self._done(previous[0])
        self._in_flight = (planned, self._pool.submit(push, ctx, planned.changes))

    def settle(self, *, quietly: bool = False) -> None:
        """Wait for the push in flight, if any, and record it in a transaction of its own.

        Args:
            quietly: Log a failure instead of raising it (an error is on its way already).
        """
        if self._in_flight is None:
            return
        planned, future = self._in_flight
        self._in_flight = None
        try:
            pushed = future.result()
        except BaseException:
            if not quietly:
                raise
            log.exception("%s: the last push failed", self._ctx.job.name)
            return
        self._record_alone(planned, pushed, quietly=quietly)

    def close(self) -> None:
        """End the push thread (after the push in flight, if any, ends)."""
        self._pool.shutdown(wait=True)

    def _record_alone(self, planned: Planned, pushed: Pushed, *, quietly: bool) -> None:
        ctx = self._ctx
        counted = dataclasses.replace(ctx.stats)
        try:
            with transaction(ctx.factory) as session:
                record_batch(ctx, session, planned, pushed)
        except BaseException:
            _restore(ctx.stats, counted)
            if not quietly:
                raise
            log.exception("%s: recording a push failed", ctx.job.name)
            return
        self._done(planned)


def _restore(stats: RunStats, saved: RunStats) -> None:
    # In place: the run's report holds this object.
    for name in stats.as_dict():
        setattr(stats, name, getattr(saved, name))
