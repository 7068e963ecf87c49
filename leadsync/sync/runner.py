"""Run one job: take its lease, refresh the target, replay due dead letters, sync each source."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from leadsync.config.project import SourceRef
from leadsync.connectors.base import Record, Source
from leadsync.errors import BudgetExhaustedError, FatalError, LeadsyncError
from leadsync.mapping import Mapping
from leadsync.store import checkpoints, leases
from leadsync.store.engine import transaction
from leadsync.store.leases import Lease
from leadsync.store.models import SyncRun
from leadsync.sync.batch import Planned, SourceBatch, run_batch
from leadsync.sync.context import RunContext
from leadsync.sync.gcpolicy import batch_friendly_gc
from leadsync.sync.overlap import Overlapped
from leadsync.sync.plan import Change, RunStats
from leadsync.sync.prefetch import prefetched
from leadsync.sync.readahead import (
    Prepared,
    ReadAhead,
    Spec,
    batches_after,
    portable,
    read_ahead,
    start_fork_server,
)
from leadsync.sync.replay import due_records
from leadsync.sync.setup import build_context
from leadsync.sync.wiring import Wiring

log = logging.getLogger(__name__)
LEASE_TTL = timedelta(minutes=5)
RENEW_AFTER = timedelta(seconds=30)
PAUSE_ON_BUDGET = timedelta(hours=1)


class JobBusyError(FatalError):
    """Another worker holds the job's lease."""


def utcnow() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass
class RunReport:
    """What one run did."""

    job: str
    run_id: int | None
    status: str  # succeeded, partial, failed, paused, planned
    stats: RunStats
    changes: list[Change] = field(default_factory=list)
    error: str | None = None


Progress = Callable[[RunStats], None]


def run_job(
    wiring: Wiring,
    factory: sessionmaker[Session],
    job_name: str,
    *,
    worker: str = "cli",
    clock: Callable[[], datetime] = utcnow,
    dry_run: bool = False,
    progress: Progress | None = None,
    keep_changes: bool = False,
    stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Run (or, with ``dry_run``, plan) the job called ``job_name``.

    ``stop`` is polled between batches: when it turns true the run ends after the batch in
    hand, with its checkpoint saved (a graceful SIGTERM).

    Raises:
        JobBusyError: another worker runs the job now.
        LeadsyncError: the run failed as a whole (the run row says why).
    """
    job = wiring.project.job(job_name)
    if job.read_ahead == "process" and job.sources:
        start_fork_server()
    lease = None
    if not dry_run:
        lease = leases.claim(factory, job.name, worker, now=clock(), ttl=LEASE_TTL)
        if lease is None:
            raise JobBusyError(f"job {job.name!r} is running on another worker (or paused)")
    run_id = None if dry_run else _start_run(factory, job.name, lease, worker, clock())
    ctx = build_context(
        wiring, factory, job, clock=clock, lease=lease, run_id=run_id, dry_run=dry_run
    )
    report = RunReport(job.name, run_id, "running", ctx.stats)
    paused_until = None
    try:
        with batch_friendly_gc():
            _execute(wiring, ctx, report, progress, keep_changes, stop or _never)
        failed = ctx.stats.failed + ctx.stats.dead_lettered
        report.status = "planned" if dry_run else ("partial" if failed else "succeeded")
    except BudgetExhaustedError as exc:
        report.status, report.error = "paused", str(exc)
        paused_until = clock() + PAUSE_ON_BUDGET
    except LeadsyncError as exc:
        report.status, report.error = "failed", str(exc)
        raise
    finally:
        if lease is not None:
            _finish_run(factory, run_id, report, clock())
            leases.release(factory, lease, paused_until=paused_until)
    return report


def _never() -> bool:
    return False


def _execute(
    wiring: Wiring,
    ctx: RunContext,
    report: RunReport,
    progress: Progress | None,
    keep: bool,
    stop: Callable[[], bool],
) -> None:
    sources = ctx.job.sources
    with ExitStack() as stack:
        opened: dict[int, tuple[checkpoints.Watermark, _Batches]] = {}
        if ctx.job.read_ahead == "process" and sources:
            # A read-ahead process starts now: its start-up (imports, connector, login)
            # overlaps the refresh and the replays below. It reads when asked, after them.
            opened[0] = _open(wiring, ctx, sources[0])
            stack.callback(opened[0][1].close)
        target = ctx.target
        if isinstance(target.connector, Source):
            from leadsync.sync.refresh import refresh_all

            refresh_all(ctx, target.connector)
        for batch in due_records(wiring, ctx):
            _run(ctx, batch, report, progress, keep)
        for position, source in enumerate(sources):
            mapping = wiring.mapping(source.connector, source.object, source.mapping)
            mark, batches = opened[position] if position in opened else _open(wiring, ctx, source)
            with closing(batches):
                if isinstance(batches, _FromProcess) and not ctx.dry_run:
                    stopped = _overlapped(
                        ctx, source, mapping, mark, batches, report, progress, keep, stop
                    )
                    if stopped:
                        return
                    continue
                for chunk, prepared in batches:
                    batch = SourceBatch(
                        source.connector, source.object, mapping, chunk, mark, prepared=prepared
                    )
                    mark = _run(ctx, batch, report, progress, keep)
                    _renew(ctx)
                    if stop():
                        report.error = STOPPED
                        return


STOPPED = "stopped on request after a checkpointed batch"
_SOURCE_POLL_SECONDS = 0.005


def _overlapped(
    ctx: RunContext,
    source: SourceRef,
    mapping: Mapping,
    mark: checkpoints.Watermark,
    batches: _FromProcess,
    report: RunReport,
    progress: Progress | None,
    keep: bool,
    stop: Callable[[], bool],
) -> bool:
    """Run a read-ahead process's batches, each push overlapping the next batch's ingest.

    Only batches from a read-ahead process overlap: they come from another process, so the
    push thread shares no connector with the read, and the process says when a batch is
    waiting. Returns True when the run was asked to stop.
    """

    def done(planned: Planned) -> None:
        if keep:
            report.changes.extend(planned.changes)
        if progress is not None:
            progress(ctx.stats)

    log.info("%s: each push overlaps the next batch's ingest", ctx.job.name)
    overlapped = Overlapped(ctx, done)
    try:
        for chunk, prepared in batches:
            batch = SourceBatch(
                source.connector, source.object, mapping, chunk, mark, prepared=prepared
            )
            overlapped.run(batch)
            mark = batch.watermark_after
            _renew(ctx)
            if stop():
                overlapped.settle()
                report.error = STOPPED
                return True
            # Wait for whichever comes first: the next batch (ingest it while the push goes
            # on) or the push's answer (record it now: a slow read must not leave an accepted
            # push unrecorded, nor the lease unrenewed).
            while overlapped.in_flight and not batches.ready(timeout=_SOURCE_POLL_SECONDS):
                if overlapped.answered():
                    overlapped.settle()
                    _renew(ctx)
        overlapped.settle()
    except BaseException:
        overlapped.settle(quietly=True)
        raise
    finally:
        overlapped.close()
    return False


_Batch = tuple[Sequence[Record], Prepared | None]


class _Batches(Protocol):
    """A source's batches, read ahead; ``close`` stops the reader, iterated or not."""

    def __iter__(self) -> Iterator[_Batch]: ...

    def close(self) -> None: ...


class _FromProcess:
    """The batches of a read-ahead process, with the results it prepared."""

    def __init__(self, reader: ReadAhead) -> None:
        self._reader = reader

    def __iter__(self) -> Iterator[_Batch]:
        return ((batch.records, batch) for batch in self._reader)

    def ready(self, timeout: float = 0.0) -> bool:
        """True when the next batch (or the end) is waiting, within ``timeout`` seconds."""
        return self._reader.ready(timeout)

    def close(self) -> None:
        self._reader.close()


def _open(
    wiring: Wiring, ctx: RunContext, source: SourceRef
) -> tuple[checkpoints.Watermark, _Batches]:
    """The source's checkpoint, and its records after it a batch at a time, read ahead.

    With ``read_ahead: process`` the reading process starts here, unless the source is the
    target's connector (it is written meanwhile: its API budget and session are shared) or
    was handed in rather than built from the project; those read in a thread, which starts at
    the first batch asked for.
    """
    start = checkpoints.load(ctx.factory, ctx.job.name, source.connector, source.object)
    if ctx.job.read_ahead == "process" and source.connector != ctx.job.target:
        if portable(wiring, source.connector):
            spec = Spec(
                project=wiring.project,
                base_dir=wiring.base_dir,
                environ=dict(os.environ if wiring.environ is None else wiring.environ),
                connector=source.connector,
                object=source.object,
                mapping=source.mapping,
                start=start,
                batch_size=ctx.job.batch_size,
                region=ctx.index.settings.default_region,
                policy=ctx.policy,
            )
            return start, _FromProcess(read_ahead(spec))
        log.info(
            "%s: connector %r was handed in, not built from the project: reading it in a thread",
            ctx.job.name,
            source.connector,
        )
    return start, _in_thread(wiring, ctx, source, start)


def _in_thread(
    wiring: Wiring, ctx: RunContext, source: SourceRef, start: checkpoints.Watermark
) -> Generator[_Batch, None, None]:
    connector = wiring.source(source.connector)
    chunks = batches_after(connector, source.object, start, ctx.job.batch_size)
    if not _same_object(connector, ctx.target.connector):
        # A connector is not shared across threads: only a source that is not also the
        # target (written by this thread) is read ahead.
        chunks = prefetched(chunks, name=f"read {source.connector}:{source.object}")
    with closing(chunks):
        for chunk in chunks:
            yield chunk, None


def _run(
    ctx: RunContext, batch: SourceBatch, report: RunReport, progress: Progress | None, keep: bool
) -> checkpoints.Watermark:
    changes, mark = run_batch(ctx, batch)
    if keep:
        report.changes.extend(changes)
    if progress is not None:
        progress(ctx.stats)
    return mark


def _renew(ctx: RunContext) -> None:
    """Extend the lease once it has run for :data:`RENEW_AFTER` (not after every batch).

    Each batch's transaction checks the lease anyway (fencing); renewing costs a transaction
    of its own, which every batch of a large sync used to pay.
    """
    lease = ctx.lease
    if lease is None:
        return
    now = ctx.clock()
    if lease.expires_at - now > LEASE_TTL - RENEW_AFTER:
        return
    ctx.lease = leases.renew(ctx.factory, lease, now=now, ttl=LEASE_TTL)


def _same_object(left: object, right: object) -> bool:
    return left is right


def _start_run(
    factory: sessionmaker[Session], job: str, lease: Lease | None, worker: str, now: datetime
) -> int:
    with transaction(factory) as session:
        run = SyncRun(
            job=job,
            status="running",
            fencing=lease.fencing if lease else 0,
            worker=worker,
            started_at=now,
            stats={},
        )
        session.add(run)
        session.flush()
        return run.id


def _finish_run(
    factory: sessionmaker[Session], run_id: int | None, report: RunReport, now: datetime
) -> None:
    if run_id is None:
        return
    with transaction(factory) as session:
        run = session.get(SyncRun, run_id)
        if run is not None:
            run.status = report.status if report.status != "running" else "failed"
            run.finished_at, run.stats, run.error = now, report.stats.as_dict(), report.error
