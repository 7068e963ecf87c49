"""A batch that fails leaves the batches before it recorded once; the lease is renewed as needed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
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
from leadsync.sync import batch, runner
from leadsync.sync.runner import run_job

CONTACTS = 120  # three batches of 50 (the harness's batch size) ...
BATCHES = 3  # ... the last one short


def _seed(crms: Crms) -> None:
    seed_hubspot(crms.hubspot, seed=11, contacts=CONTACTS, owners=2)


def _sf_emails(crms: Crms) -> Counter[str | None]:
    return Counter(email_match_key(r.get("Email")) for r in crms.salesforce.rows("Lead"))


def test_a_failing_batch_leaves_the_pushes_before_it_recorded_once(
    crms: Crms, db_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    plans, real_plan = 0, batch.plan

    def plan(*args: Any) -> Any:
        nonlocal plans
        plans += 1
        if plans == BATCHES:
            raise FatalError("the planner broke")
        return real_plan(*args)

    monkeypatch.setattr(batch, "plan", plan)
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
    # Both pushes before it are recorded, outcomes and target ids, each once.
    per_source = Counter(outcomes)
    assert len(per_source) == 2 * 50
    assert set(per_source.values()) == {1}
    assert linked == pushed == run.stats["created"] > 0
    assert run.status == "failed"

    monkeypatch.setattr(batch, "plan", real_plan)
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
    # A clock that stands still: no renewal. One that moves a minute per batch: a renewal
    # after each (every batch used to renew, whatever the clock).
    assert len(renewals) == (0 if minutes_per_batch == 0 else BATCHES)
