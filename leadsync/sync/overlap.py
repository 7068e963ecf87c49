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
creates are upserts on the golden key, and the refreshed index knows the target's records) and
the golden side of one more batch, committed and not yet pushed. When a step fails before its
commit, the push in flight is still recorded, in a transaction of its own, before the error
goes on, as the serial engine would have recorded it before the failing batch. A push stays in
flight until its answer is in hand, so an interrupt while waiting for it leaves it to
:meth:`Overlapped.settle`.
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
from leadsync.sync.ingest import Ingested
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
        previous = self._answer()
        planned = self._record_and_plan(previous, batch, ingested)
        if previous is not None:
            self._done(previous[0])
        self._in_flight = (planned, self._pool.submit(push, ctx, planned.changes))

    def _record_and_plan(
        self, previous: tuple[Planned, Pushed] | None, batch: SourceBatch, ingested: Ingested
    ) -> Planned:
        """Record the push that answered (if any) and plan ``batch``, in one transaction."""
        ctx = self._ctx
        counted = dataclasses.replace(ctx.stats)
        with ctx.factory() as session:
            session.begin()
            try:
                if ctx.lease is not None:
                    guard(session, ctx.lease)  # the plan writes routing state
                if previous is not None:
                    record_batch(ctx, session, *previous)
                planned = plan_batch(ctx, session, batch, ingested)
            except BaseException:
                session.rollback()
                _restore(ctx.stats, counted)  # nothing of that transaction happened
                if previous is not None:
                    self._record_alone(*previous, quietly=True)
                raise
            try:
                session.commit()
            except BaseException:
                # Whether a failed commit took effect is unknown: recording the push again
                # could store it twice. Left unrecorded, the next run finds it (see above).
                _restore(ctx.stats, counted)
                raise
        return planned

    def settle(self, *, quietly: bool = False) -> None:
        """Wait for the push in flight, if any, and record it in a transaction of its own.

        Args:
            quietly: Log a failure instead of raising it (an error is on its way already).
        """
        try:
            answered = self._answer()
        except Exception:
            if not quietly:
                raise
            log.exception("%s: the last push failed", self._ctx.job.name)
            return
        if answered is not None:
            self._record_alone(*answered, quietly=quietly)

    def _answer(self) -> tuple[Planned, Pushed] | None:
        """Wait for the push in flight and take it over (its own error raised: nothing to record).

        Interrupted while waiting, the push stays in flight for :meth:`settle`.
        """
        if self._in_flight is None:
            return None
        planned, future = self._in_flight
        try:
            pushed = future.result()
        except Exception:
            self._in_flight = None
            raise
        self._in_flight = None
        return planned, pushed

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
