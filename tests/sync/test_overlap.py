"""With a read-ahead process, a batch's push overlaps the next batch's ingest.

Nothing pushed goes unrecorded: a failing step records the push in flight first, and a push
is recorded before the engine waits on a source whose next batch is not ready.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, fast_retry, project_for

from leadsync.connectors.deps import ConnectorDeps
from leadsync.errors import BudgetExhaustedError, FatalError
from leadsync.mapping.normalize import email_match_key
from leadsync.sandbox.clients import sandbox_session
from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.store.models import Identity, RecordOutcome, SyncRun
from leadsync.sync import batch, overlap, runner
from leadsync.sync.plan import Change
from leadsync.sync.push import Pushed
from leadsync.sync.runner import RunReport, run_job
from leadsync.sync.wiring import Wiring

CONTACTS = 120  # three batches of 50 ...
BATCHES = 3  # ... the last one short
BATCH = 50


def _seed(crms: Crms) -> None:
    seed_hubspot(crms.hubspot, seed=11, contacts=CONTACTS, owners=2)


def _wiring(crms: Crms, db_url: str, read_ahead: str = "process") -> Wiring:
    """HubSpot built from the project (so it can be read in a process), Salesforce handed in."""
    job = {"name": "hs-to-sf", "sources": [{"connector": "hubspot", "object": "contacts"}],
           "target": "salesforce", "object": "Lead", "batch_size": BATCH,
           "read_ahead": read_ahead}  # fmt: skip
    deps = {
        "salesforce": ConnectorDeps(
            requests_session=sandbox_session(crms.sf_server), retry=fast_retry()
        )
    }
    return Wiring(project_for(crms, db_url, jobs=[job]), deps=deps)


def _sync(crms: Crms, db_url: str, factory: sessionmaker[Session]) -> RunReport:
    wiring = _wiring(crms, db_url)
    try:
        return run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()


def _sf_emails(crms: Crms) -> Counter[str | None]:
    return Counter(email_match_key(r.get("Email")) for r in crms.salesforce.rows("Lead"))


def _never_ready(self: object, timeout: float = 0.0) -> bool:
    time.sleep(timeout)
    return False


def _always_ready(self: object, timeout: float = 0.0) -> bool:
    return True


def _recorded(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(RecordOutcome)) or 0)


@pytest.mark.parametrize(("read_ahead", "overlaps"), [("process", True), ("thread", False)])
def test_a_batch_s_push_runs_while_the_next_batch_is_ingested(
    crms: Crms,
    db_url: str,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    read_ahead: str,
    overlaps: bool,
) -> None:
    _seed(crms)
    ingests, next_ingest = 0, threading.Event()
    waited: list[bool] = []
    real_ingest, real_push = overlap.ingest_batch, overlap.push

    def ingest(*args: Any) -> Any:
        nonlocal ingests
        ingests += 1
        if ingests == 2:
            next_ingest.set()
        return real_ingest(*args)

    def push(ctx: Any, changes: Sequence[Change]) -> Pushed:
        pushed = real_push(ctx, changes)
        if not waited:
            # A serial engine ingests the next batch only after this returns: it never comes.
            waited.append(next_ingest.wait(timeout=5 if overlaps else 0.2))
        return pushed

    for module in (overlap, batch):  # the overlapping path and the serial one
        monkeypatch.setattr(module, "ingest_batch", ingest)
        monkeypatch.setattr(module, "push", push)
    wiring = _wiring(crms, db_url, read_ahead)
    try:
        report = run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()
    assert waited == [overlaps]
    assert report.status == "succeeded"
    assert report.stats.read == CONTACTS
    emails = _sf_emails(crms)
    assert sum(emails.values()) == report.stats.created == CONTACTS - report.stats.matched
    assert max(emails.values()) == 1
    assert _recorded(factory) == CONTACTS


@pytest.mark.parametrize(
    ("ready", "expected"),
    [
        # A stalled source: every push is recorded before the next batch is even read.
        ("never", [0, BATCH, 2 * BATCH]),
        # The next batch waiting: batch N's push is recorded after batch N+1's ingest.
        ("always", [0, 0, BATCH]),
    ],
)
def test_a_push_is_recorded_before_the_engine_waits_on_its_source(
    crms: Crms,
    db_url: str,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    ready: str,
    expected: list[int],
) -> None:
    _seed(crms)
    seen: list[int] = []
    real_ingest = overlap.ingest_batch

    def ingest(ctx: Any, session: Session, source_batch: Any) -> Any:
        seen.append(_recorded(factory))  # outcomes committed when this batch's ingest begins
        return real_ingest(ctx, session, source_batch)

    monkeypatch.setattr(overlap, "ingest_batch", ingest)
    stub = _never_ready if ready == "never" else _always_ready
    monkeypatch.setattr(runner._FromProcess, "ready", stub)
    report = _sync(crms, db_url, factory)
    assert report.status == "succeeded"
    assert seen == expected
    assert _recorded(factory) == CONTACTS


@pytest.mark.parametrize("step", ["plan", "ingest"])
def test_a_failing_batch_leaves_the_pushes_before_it_recorded_once(
    crms: Crms,
    db_url: str,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    _seed(crms)
    calls, name = 0, f"{step}_batch"
    real = getattr(overlap, name)

    def failing(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == BATCHES:
            # plan: in the transaction that has just recorded the second batch's push;
            # ingest: while that push is in flight.
            raise FatalError(f"the {step} broke")
        return real(*args)

    monkeypatch.setattr(overlap, name, failing)
    monkeypatch.setattr(runner._FromProcess, "ready", _always_ready)  # always overlap
    wiring = _wiring(crms, db_url)
    with pytest.raises(FatalError, match=f"the {step} broke"):
        run_job(wiring, factory, "hs-to-sf")
    pushed = sum(_sf_emails(crms).values())
    with factory() as session:
        run = session.execute(select(SyncRun)).scalar_one()
        outcomes = Counter(
            session.execute(
                select(RecordOutcome.source).where(RecordOutcome.run_id == run.id)
            ).scalars()
        )
        linked = session.scalar(
            select(func.count()).select_from(Identity).where(Identity.system == "salesforce")
        )
    # Both pushes before the failure are recorded, outcomes and target ids, each once, and
    # counted once (a rolled-back transaction's counts are undone before recording again).
    assert len(outcomes) == 2 * BATCH
    assert max(outcomes.values()) == 1
    assert linked == pushed == run.stats["created"] > 0
    assert run.status == "failed"

    monkeypatch.setattr(overlap, name, real)
    try:
        again = run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()
    assert again.status == "succeeded"
    assert again.stats.read == CONTACTS - 2 * BATCH  # from the second batch's checkpoint on
    emails = _sf_emails(crms)
    assert max(emails.values()) == 1
    assert sum(emails.values()) == pushed + again.stats.created


class _InterruptedOnce:
    """A push's future whose first wait is interrupted (Ctrl-C while the CRM works)."""

    interrupted = False

    def __init__(self, inner: Future[Pushed]) -> None:
        self._inner = inner

    def done(self) -> bool:
        return self._inner.done()

    def result(self) -> Pushed:
        if not _InterruptedOnce.interrupted:
            _InterruptedOnce.interrupted = True
            raise KeyboardInterrupt
        return self._inner.result()


class _InterruptingPool(ThreadPoolExecutor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return _InterruptedOnce(super().submit(fn, *args, **kwargs))


def test_an_interrupt_while_waiting_for_a_push_still_records_it(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    monkeypatch.setattr(_InterruptedOnce, "interrupted", False)
    monkeypatch.setattr(overlap, "ThreadPoolExecutor", _InterruptingPool)
    wiring = _wiring(crms, db_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()
    assert _InterruptedOnce.interrupted
    # The first batch's push was in hand when the wait was interrupted: it is recorded.
    assert _recorded(factory) == BATCH
    assert sum(_sf_emails(crms).values()) == _linked(factory) > 0


def _linked(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        query = select(func.count()).select_from(Identity).where(Identity.system == "salesforce")
        return int(session.scalar(query) or 0)


def test_a_stop_request_on_the_overlapping_path_records_the_batch_and_its_checkpoint(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    monkeypatch.setattr(runner._FromProcess, "ready", _always_ready)
    wiring = _wiring(crms, db_url)
    try:
        first = run_job(wiring, factory, "hs-to-sf", stop=lambda: True)
        assert first.error == runner.STOPPED
        assert first.stats.read == BATCH
        assert _recorded(factory) == BATCH
        rest = run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()
    assert rest.status == "succeeded"
    assert rest.stats.read == CONTACTS - BATCH  # from the first batch's checkpoint on
    emails = _sf_emails(crms)
    assert max(emails.values()) == 1
    assert sum(emails.values()) == first.stats.created + rest.stats.created


def test_a_push_that_spends_the_api_budget_pauses_the_run_with_earlier_pushes_recorded(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    pushes, real_push = 0, overlap.push

    def push(ctx: Any, changes: Sequence[Change]) -> Pushed:
        nonlocal pushes
        pushes += 1
        if pushes == 2:
            raise BudgetExhaustedError("the daily API allocation is nearly spent")
        return real_push(ctx, changes)

    monkeypatch.setattr(overlap, "push", push)
    monkeypatch.setattr(runner._FromProcess, "ready", _always_ready)
    wiring = _wiring(crms, db_url)
    try:
        report = run_job(wiring, factory, "hs-to-sf")
        assert report.status == "paused"
        assert _recorded(factory) == BATCH
        monkeypatch.setattr(overlap, "push", real_push)
        later = datetime.now(UTC) + runner.PAUSE_ON_BUDGET * 2
        again = run_job(wiring, factory, "hs-to-sf", clock=lambda: later)
    finally:
        wiring.close()
    assert again.status == "succeeded"
    assert again.stats.read == CONTACTS - BATCH
    emails = _sf_emails(crms)
    assert max(emails.values()) == 1
    assert sum(emails.values()) == _linked(factory)


def test_every_plan_transaction_checks_the_lease(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan writes routing state (cursors, assignments): a worker that lost its lease
    # must not, also when no push is recorded in the same transaction.
    _seed(crms)
    checked, real_guard = [], overlap.guard

    def guard(session: Session, lease: Any) -> None:
        checked.append(lease.fencing)
        real_guard(session, lease)

    monkeypatch.setattr(overlap, "guard", guard)
    monkeypatch.setattr(runner._FromProcess, "ready", _never_ready)  # no push recorded with a plan
    report = _sync(crms, db_url, factory)
    assert report.status == "succeeded"
    assert len(checked) == BATCHES
