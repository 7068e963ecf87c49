"""A batch's push overlaps the next batch's ingest; nothing pushed goes unrecorded."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, wiring_for

from leadsync.errors import FatalError
from leadsync.mapping.normalize import email_match_key
from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.store import leases
from leadsync.store.models import Identity, RecordOutcome, SyncRun
from leadsync.sync import overlap, runner
from leadsync.sync.plan import Change
from leadsync.sync.push import Pushed
from leadsync.sync.runner import run_job

CONTACTS = 120  # three batches of 50 (the harness's batch size) ...
BATCHES = 3  # ... the last one short


def _seed(crms: Crms) -> None:
    seed_hubspot(crms.hubspot, seed=11, contacts=CONTACTS, owners=2)


def _sf_emails(crms: Crms) -> Counter[str | None]:
    return Counter(email_match_key(r.get("Email")) for r in crms.salesforce.rows("Lead"))


def test_a_batch_s_push_runs_while_the_next_batch_is_ingested(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    ingests, next_ingest = 0, threading.Event()
    overlapped: list[bool] = []
    real_ingest, real_push = overlap.ingest_batch, overlap.push

    def ingest(*args: Any) -> Any:
        nonlocal ingests
        ingests += 1
        if ingests == 2:
            next_ingest.set()
        return real_ingest(*args)

    def push(ctx: Any, changes: Sequence[Change]) -> Pushed:
        pushed = real_push(ctx, changes)
        if not overlapped:
            # A serial engine ingests the next batch only after this returns: it never comes.
            overlapped.append(next_ingest.wait(timeout=10))
        return pushed

    monkeypatch.setattr(overlap, "ingest_batch", ingest)
    monkeypatch.setattr(overlap, "push", push)
    wiring = wiring_for(crms, project_for(crms, db_url))
    report = run_job(wiring, factory, "hs-to-sf")
    wiring.close()
    assert overlapped == [True]
    assert report.status == "succeeded"
    assert report.stats.read == CONTACTS
    emails = _sf_emails(crms)
    assert sum(emails.values()) == report.stats.created == CONTACTS - report.stats.matched
    assert max(emails.values()) == 1


def test_a_failing_batch_leaves_the_pushes_before_it_recorded_once(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    plans, real_plan = 0, overlap.plan_batch

    def plan(*args: Any) -> Any:
        nonlocal plans
        plans += 1
        if plans == BATCHES:
            # In the transaction that has just recorded the second batch's push.
            raise FatalError("the planner broke")
        return real_plan(*args)

    monkeypatch.setattr(overlap, "plan_batch", plan)
    wiring = wiring_for(crms, project_for(crms, db_url))
    with pytest.raises(FatalError, match="the planner broke"):
        run_job(wiring, factory, "hs-to-sf")
    pushed = sum(_sf_emails(crms).values())
    with factory() as session:
        run = session.execute(select(SyncRun)).scalar_one()
        outcomes = session.execute(
            select(RecordOutcome.source).where(RecordOutcome.run_id == run.id)
        ).scalars()
        linked = session.scalar(
            select(func.count()).select_from(Identity).where(Identity.system == "salesforce")
        )
    # Both pushes are recorded, outcomes and target ids, and counted once (the failed
    # transaction's count of the second is undone before it is recorded again).
    assert len(set(outcomes)) == 2 * 50
    assert linked == pushed == run.stats["created"] > 0
    assert run.status == "failed"

    monkeypatch.setattr(overlap, "plan_batch", real_plan)
    again = run_job(wiring, factory, "hs-to-sf")
    wiring.close()
    assert again.status == "succeeded"
    assert again.stats.read == CONTACTS - 2 * 50  # from the second batch's checkpoint on
    emails = _sf_emails(crms)
    assert max(emails.values()) == 1
    assert sum(emails.values()) == pushed + again.stats.created


@pytest.mark.parametrize("minutes_per_batch", [0, 1])
def test_the_lease_is_renewed_once_it_has_run_a_while_not_after_every_batch(
    crms: Crms,
    db_url: str,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    minutes_per_batch: int,
) -> None:
    _seed(crms)
    renewals: list[datetime] = []
    real_renew = leases.renew

    def renew(*args: Any, now: datetime, **kwargs: Any) -> leases.Lease:
        renewals.append(now)
        return real_renew(*args, now=now, **kwargs)

    monkeypatch.setattr(runner.leases, "renew", renew)
    start, done = datetime(2026, 3, 2, 9, 0, tzinfo=UTC), []
    wiring = wiring_for(crms, project_for(crms, db_url))
    report = run_job(
        wiring,
        factory,
        "hs-to-sf",
        clock=lambda: start + timedelta(minutes=minutes_per_batch * len(done)),
        progress=done.append,
    )
    wiring.close()
    assert report.status == "succeeded"
    assert len(done) == BATCHES
    # A clock that stands still: no renewal. One that moves a minute per recorded batch:
    # a renewal after each batch but the last (recorded once the loop is over).
    assert len(renewals) == (0 if minutes_per_batch == 0 else BATCHES - 1)


class _HandedIn:
    """The part of Wiring that _runner asks: which connectors were handed in, and them."""

    def __init__(self, given: dict[str, object]) -> None:
        self._given = given

    def uses(self, name: str) -> bool:
        return name in self._given

    def connector(self, name: str) -> object:
        return self._given[name]


@pytest.mark.parametrize(
    ("source", "given", "dry_run", "overlaps"),
    [
        ("hubspot", {}, False, True),
        ("hubspot", {"hubspot": object()}, False, True),  # handed in, not the target's
        ("salesforce", {}, False, False),  # the target itself
        ("sf-again", {"sf-again": "TARGET"}, False, False),  # the target's, under another name
        ("hubspot", {}, True, False),  # a dry run pushes nothing
    ],
)
def test_batches_overlap_only_when_the_source_is_not_the_target_and_something_is_pushed(
    source: str, given: dict[str, object], dry_run: bool, overlaps: bool
) -> None:
    target = object()
    handed = {name: target if c == "TARGET" else c for name, c in given.items()}
    ctx: Any = SimpleNamespace(
        dry_run=dry_run,
        job=SimpleNamespace(name="job", target="salesforce"),
        target=SimpleNamespace(connector=target),
    )
    ref: Any = SimpleNamespace(connector=source, object="contacts")
    report: Any = None
    wiring: Any = _HandedIn(handed)
    with runner._runner(wiring, ctx, ref, report, None, False) as run:
        assert isinstance(getattr(run, "__self__", None), overlap.Overlapped) is overlaps
