"""End-to-end runs of the sync engine against both CRM sandboxes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, sf_calls, wiring_for

from leadsync.connectors.base import Destination, Owner, Source, WriteOp, WriteResult
from leadsync.mapping.normalize import email_match_key
from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sandbox.runtime import FaultKind
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.store import leases
from leadsync.store.models import Base, DeadLetter, GoldenLead, Identity
from leadsync.sync.runner import JobBusyError, run_job
from leadsync.sync.wiring import Wiring


def _seed(crms: Crms, *, leads: int = 40, contacts: int = 60) -> None:
    seed_salesforce(crms.salesforce, seed=3, leads=leads, contacts=0, accounts=5, users=3)
    people = [
        {"email": r["Email"], "first_name": r["FirstName"], "last_name": r["LastName"]}
        for r in crms.salesforce.rows("Lead")[:10]
    ]
    seed_hubspot(crms.hubspot, seed=3, contacts=contacts, owners=2, duplicates_of=people)


def _sf_leads(crms: Crms) -> list[dict[str, Any]]:
    return [dict(r) for r in crms.salesforce.rows("Lead")]


def _assert_no_duplicates_and_every_contact_synced(
    crms: Crms, factory: sessionmaker[Session]
) -> None:
    keys = Counter(email_match_key(r.get("Email")) for r in _sf_leads(crms) if r.get("Email"))
    assert [k for k, n in keys.items() if n > 1] == []
    with factory() as session:
        hubspot_goldens = set(
            session.execute(
                select(Identity.golden_id).where(Identity.system == "hubspot")
            ).scalars()
        )
        synced = set(
            session.execute(
                select(Identity.golden_id).where(
                    Identity.system == "salesforce", Identity.deleted.is_(False)
                )
            ).scalars()
        )
    assert hubspot_goldens
    assert hubspot_goldens <= synced


def test_sync_matches_before_create_and_a_rerun_changes_nothing(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    _seed(crms)
    before = len(_sf_leads(crms))
    wiring = wiring_for(crms, project_for(crms, db_url))
    first = run_job(wiring, factory, "hs-to-sf")
    assert first.status == "succeeded"
    assert first.stats.read == len(list(crms.hubspot.state.store("contacts").live()))
    # The 10 planted cross-system duplicates were matched, not created again.
    assert first.stats.matched >= 10
    assert len(_sf_leads(crms)) == before + first.stats.created
    _assert_no_duplicates_and_every_contact_synced(crms, factory)
    crms.salesforce.calls.reset()
    second = run_job(wiring, factory, "hs-to-sf")
    assert (second.stats.created, second.stats.updated, second.stats.failed) == (0, 0, 0)
    assert sf_calls(crms) == 0
    wiring.close()


def test_plan_writes_nothing_anywhere(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    _seed(crms)
    before = len(_sf_leads(crms))
    wiring = wiring_for(crms, project_for(crms, db_url))
    crms.salesforce.calls.reset()
    report = run_job(wiring, factory, "hs-to-sf", dry_run=True, keep_changes=True)
    assert report.status == "planned"
    assert report.stats.created > 0
    creates = [c for c in report.changes if c.action == "create"]
    assert creates
    assert all(c.fields.get("LastName") for c in creates)
    assert sf_calls(crms) == 0
    assert len(_sf_leads(crms)) == before
    with factory() as session:
        assert session.execute(select(func.count()).select_from(GoldenLead)).scalar_one() == 0
    wiring.close()


def test_rejected_records_are_dead_lettered_and_the_batch_goes_on(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    _seed(crms, leads=5, contacts=30)
    poisoned = {
        o.properties["email"] for o in list(crms.hubspot.state.store("contacts").live())[:3]
    }
    crms.salesforce.faults.reject_records(
        lambda r: "poison record" if r.get("Email") in poisoned else None
    )
    wiring = wiring_for(crms, project_for(crms, db_url))
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.status == "partial"
    with factory() as session:
        letters = list(session.execute(select(DeadLetter)).scalars())
    assert len(letters) == 3
    assert {letter.stage for letter in letters} == {"push"}
    assert all("poison record" in letter.error_message for letter in letters)
    assert all(letter.payload.get("fields") for letter in letters)  # replayable
    emails = {r.get("Email") for r in _sf_leads(crms)}
    assert not poisoned & emails
    assert report.stats.created >= 20


class CrashAfterWrite(Source, Destination):
    """Delegates to a real connector but dies right after the CRM accepted a write."""

    name = "crash"

    def __init__(self, inner: Any, crash_on_write: int) -> None:
        self.inner, self.left = inner, crash_on_write
        self.settings_model = inner.settings_model  # type: ignore[misc]
        self.capabilities = inner.capabilities  # type: ignore[misc]

    def check(self) -> None:
        self.inner.check()

    def describe(self, object: str) -> Any:  # noqa: A002
        return self.inner.describe(object)

    def read(self, object: str, since: datetime | None = None) -> Any:  # noqa: A002
        return self.inner.read(object, since)

    def owners(self) -> list[Owner]:
        return list(self.inner.owners())

    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        results = list(self.inner.write(object, ops))
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt("simulated crash after the CRM accepted the batch")
        return results


@pytest.mark.parametrize("crash_on_write", [1, 2], ids=["first-batch", "second-batch"])
def test_crash_after_the_crm_accepted_a_batch_creates_no_duplicate(
    crms: Crms, db_url: str, factory: sessionmaker[Session], crash_on_write: int
) -> None:
    _seed(crms, leads=5, contacts=120)
    project = project_for(crms, db_url)
    wiring = wiring_for(crms, project)
    wiring.use("salesforce", CrashAfterWrite(wiring.connector("salesforce"), crash_on_write))
    with pytest.raises(KeyboardInterrupt):
        run_job(wiring, factory, "hs-to-sf", clock=lambda: datetime.now(UTC))
    # The crashed worker's lease expires; a new process takes over.
    later = datetime.now(UTC) + timedelta(minutes=10)
    fresh = wiring_for(crms, project)
    report = run_job(fresh, factory, "hs-to-sf", worker="successor", clock=lambda: later)
    assert report.status == "succeeded"
    _assert_no_duplicates_and_every_contact_synced(crms, factory)


def _final_state(crms: Crms) -> set[tuple[Any, ...]]:
    return {(r.get("Email"), r.get("FirstName"), r.get("LastName"), r.get("Company"))
            for r in _sf_leads(crms)}  # fmt: skip


def _wipe(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


def test_injected_faults_end_in_the_same_state_as_a_clean_run(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    project = project_for(crms, db_url)
    _seed(crms, leads=10, contacts=80)
    clean = run_job(wiring_for(crms, project), factory, "hs-to-sf")
    assert clean.status == "succeeded"
    expected = _final_state(crms)
    crms.salesforce.reset()
    crms.hubspot.reset()
    _wipe(factory)
    _seed(crms, leads=10, contacts=80)
    kinds = [FaultKind.RATE_LIMIT, FaultKind.UNAVAILABLE, FaultKind.DROP]
    crms.salesforce.faults.set_random(0.1, seed=11, kinds=kinds)
    crms.hubspot.faults.set_random(0.1, seed=12, kinds=kinds)
    report = run_job(wiring_for(crms, project), factory, "hs-to-sf")
    injected = crms.salesforce.faults, crms.hubspot.faults
    crms.salesforce.faults.clear()
    crms.hubspot.faults.clear()
    assert report.status == "succeeded", report.error
    assert injected
    assert _final_state(crms) == expected
    _assert_no_duplicates_and_every_contact_synced(crms, factory)


def test_a_second_worker_cannot_run_the_same_job(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    wiring = wiring_for(crms, project_for(crms, db_url))
    now = datetime.now(UTC)
    held = leases.claim(factory, "hs-to-sf", "other-worker", now=now, ttl=timedelta(minutes=5))
    assert held is not None
    with pytest.raises(JobBusyError):
        run_job(wiring, factory, "hs-to-sf", clock=lambda: now)


def _synced_once(crms: Crms, db_url: str, factory: sessionmaker[Session]) -> tuple[Wiring, Any]:
    """Seed a small world, sync it once; return the wiring and HubSpot's contact store."""
    _seed(crms, leads=5, contacts=30)
    wiring = wiring_for(crms, project_for(crms, db_url))
    run_job(wiring, factory, "hs-to-sf")
    return wiring, crms.hubspot.state.store("contacts")


def test_incremental_rerun_reads_only_what_changed(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    wiring, store = _synced_once(crms, db_url, factory)
    with crms.hubspot.state.lock:
        store.create(
            {
                "email": "new.person@example.org",
                "firstname": "New",
                "lastname": "Person",
                "company": "Example",
            }
        )
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.stats.read == 1
    assert report.stats.created == 1
    assert any(r.get("Email") == "new.person@example.org" for r in _sf_leads(crms))


def test_a_changed_source_record_is_saved_on_its_golden_lead(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    wiring, store = _synced_once(crms, db_url, factory)
    with crms.hubspot.state.lock:
        contact = next(iter(store.live()))
        store.update(contact, {"jobtitle": "Chief Sandbox Officer"})
    with factory() as session:
        gid = session.execute(
            select(Identity.golden_id).where(
                Identity.system == "hubspot", Identity.external_id == str(contact.id)
            )
        ).scalar_one()
        before = session.get(GoldenLead, gid)
        assert before is not None
        version = before.version
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.stats.read == 1
    with factory() as session:
        after = session.get(GoldenLead, gid)
        assert after is not None
        assert after.data["title"] == "Chief Sandbox Officer"
        assert after.version == version + 1
    wiring.close()
