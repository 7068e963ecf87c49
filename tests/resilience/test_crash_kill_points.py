"""SIGKILL a ``leadsync sync`` process at seeded kill points; a rerun must converge exactly.

A fault-free reference run on the same seeded CRM data gives the expected Salesforce state.
Each case then starts ``leadsync -c project.yaml sync hs-to-sf`` as a child process, kills its
process group at a kill point drawn from the case's seed (before, during or just after a CRM
write, during the target refresh, mid-read of the source, or inside the child's own database
work a few milliseconds after an answer), and reruns the job as a successor worker once the
dead worker's lease has expired. The final Salesforce state must equal the reference exactly:
every non-poison HubSpot person present once, nothing duplicated, and the dead-letter queue
holding exactly the injected poison records.

HubSpot contacts the engine merges into one person are left out of the kill-point data: after a
crash between the CRM's answer and the outcome's commit, the refresh cannot tell the written
record from a CRM-side edit, so which look-alike's values win may still depend on the kill
point (a graceful split no longer does: see the test at the end of this module).
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from resilience_rig import (
    LEADSYNC,
    SECRETS,
    KillRule,
    Sandboxes,
    connectors,
    reaped,
    spawn,
    tail,
    write_project,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.config import load_project
from leadsync.mapping.normalize import email_match_key
from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sandbox.hubspot.seed import ANCHOR_MS
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.migrate import upgrade
from leadsync.store.models import DeadLetter, Identity, SyncRun
from leadsync.sync.runner import LEASE_TTL, JobBusyError, RunReport, run_job
from leadsync.sync.wiring import Wiring

JOB = "hs-to-sf"
CONTACTS, LEADS, CROSS_DUPLICATES, POISON, BATCH = 80, 20, 10, 6, 10
KILL_SEEDS = range(10)  # per backend: 20 kill points in all
PROCESS_KILL_SEEDS = range(100, 106)  # per backend, with read_ahead: process (batches overlap)
POISON_PEOPLE = [("Ada", "Quarkly"), ("Boris", "Nimbus"), ("Chloe", "Orchard"),
                 ("Dmitri", "Basalt"), ("Elena", "Vireo"), ("Farid", "Tessellate")]  # fmt: skip
VOLATILE = {"Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"}
VOLATILE |= {"SystemModstamp", "OwnerId"}
WRITES = "/composite/sobjects"
OVERLAPPING = "each push overlaps the next batch's ingest"  # runner's log line


def seed_crms(
    boxes: Sandboxes, *, twins: float = 0.0, drop: frozenset[int] = frozenset()
) -> set[str]:
    """Seed both CRMs identically every time; return the poison records' source keys.

    ``twins`` is the share of HubSpot contacts that are a second record of an earlier one;
    contacts in ``drop`` are archived before anything runs. The kill-point cases use neither
    twins nor accidental look-alikes: after a crash mid-push, which one's email wins may still
    depend on the kill point (see the module docstring).
    """
    seed_salesforce(boxes.salesforce, seed=3, leads=LEADS, contacts=0, accounts=5, users=3)
    people = [
        {"email": r["Email"], "first_name": r["FirstName"], "last_name": r["LastName"]}
        for r in boxes.salesforce.rows("Lead")[:CROSS_DUPLICATES]
    ]
    seed_hubspot(
        boxes.hubspot, seed=3, contacts=CONTACTS, owners=2, duplicate_rate=twins,
        duplicates_of=people,
    )  # fmt: skip
    state = boxes.hubspot.state
    store = state.store("contacts")
    poison = set()
    year_ms = 365 * 24 * 3600 * 1000
    with state.lock:
        for contact_id in sorted(drop):
            store.archive(store.find(contact_id))  # type: ignore[arg-type]
        for i in range(POISON):
            first, company = POISON_PEOPLE[i]
            values = {"email": f"{first.lower()}@{company.lower()}.example", "firstname": first}
            values |= {"lastname": "Poison", "company": company}
            # Spread over the seeded year so poison lands in different batches.
            at_ms = ANCHOR_MS - year_ms + (2 * i + 1) * year_ms // (2 * POISON) + 7
            contact = store.create(state.clean("contacts", values), at_ms=at_ms)
            poison.add(f"hubspot:contacts:{contact.id}")
    boxes.salesforce.faults.reject_records(
        lambda r: "poison record (validation rule)" if r.get("LastName") == "Poison" else None
    )
    return poison


def lead_state(boxes: Sandboxes) -> Counter[tuple[Any, ...]]:
    """Salesforce Leads as a multiset of their stable fields (owner by username)."""
    users = {u["Id"]: u.get("Username") for u in boxes.salesforce.rows("User")}
    rows = []
    for lead in boxes.salesforce.rows("Lead"):
        stable = sorted((k, str(v)) for k, v in lead.items() if k not in VOLATILE)
        rows.append((*stable, ("Owner", users.get(lead.get("OwnerId")))))
    return Counter(rows)


def _email(row: tuple[Any, ...]) -> str:
    return str(dict(row).get("Email"))


def differences(boxes: Sandboxes, ref: Reference) -> str:
    """Readable difference of the Salesforce Leads from the reference, by email."""
    now, want = lead_state(boxes), ref.leads
    extra, missing = now - want, want - now
    dupes = Counter(email_match_key(_email(r)) for r in now.elements())
    changed = [sorted(set(a) ^ set(b)) for a in extra for b in missing if _email(a) == _email(b)]
    return (
        f"duplicated emails {sorted(str(e) for e, n in dupes.items() if n > 1)}; "
        f"unexpected {sorted(_email(r) for r in extra)}; "
        f"missing {sorted(_email(r) for r in missing)}; changed fields {changed}"
    )


def project_file(boxes: Sandboxes, folder: Path, db_url: str, read_ahead: str = "thread") -> Path:
    return write_project(
        folder / "leadsync.yaml",
        {
            "store": {"url": db_url},
            "connectors": connectors(boxes),
            "policy": {"objects": {"lead": {"master": "salesforce"}}},
            "jobs": [
                {
                    "name": JOB,
                    "sources": [{"connector": "hubspot", "object": "contacts"}],
                    "target": "salesforce",
                    "object": "Lead",
                    "batch_size": BATCH,
                    "read_ahead": read_ahead,
                }
            ],
        },
    )


def run_in_process(path: Path, factory: sessionmaker[Session], **kwargs: Any) -> RunReport:
    wiring = Wiring(load_project(path), base_dir=path.parent, environ=SECRETS)
    try:
        return run_job(wiring, factory, JOB, **kwargs)
    finally:
        wiring.close()


def dead_letter_sources(factory: sessionmaker[Session]) -> list[str]:
    """Every row of the dead-letter queue (a validation rejection is parked: no retry helps)."""
    with factory() as session:
        rows = session.execute(select(DeadLetter.source, DeadLetter.status)).all()
    assert {status for _, status in rows} <= {"parked"}
    return sorted(source for source, _ in rows)


@dataclass(frozen=True)
class Reference:
    leads: Counter[tuple[Any, ...]]
    drop: frozenset[int]  # HubSpot look-alikes left out (see seed_crms)
    calls: dict[str, int]  # requests per kill-point family in a full run


def fresh_store(folder: Path) -> tuple[str, sessionmaker[Session]]:
    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    return url, session_factory(engine)


def merged_hubspot_contacts(factory: sessionmaker[Session]) -> frozenset[int]:
    """HubSpot contacts that share a golden lead with an earlier HubSpot contact."""
    with factory() as session:
        pairs = session.execute(
            select(Identity.golden_id, Identity.external_id).where(Identity.system == "hubspot")
        ).all()
    by_golden: dict[int, list[int]] = {}
    for golden_id, external_id in pairs:
        by_golden.setdefault(golden_id, []).append(int(external_id))
    return frozenset(i for ids in by_golden.values() for i in sorted(ids)[1:])


@pytest.fixture(scope="module")
def reference(boxes: Sandboxes, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    probe = tmp_path_factory.mktemp("probe")
    boxes.reset()
    seed_crms(boxes)
    url, factory = fresh_store(probe)
    run_in_process(project_file(boxes, probe, url), factory)
    drop = merged_hubspot_contacts(factory)

    folder = tmp_path_factory.mktemp("reference")
    boxes.reset()
    poison = seed_crms(boxes, drop=drop)
    url, factory = fresh_store(folder)
    report = run_in_process(project_file(boxes, folder, url), factory)
    assert report.status == "partial", report.error
    assert report.stats.dead_lettered == POISON
    assert dead_letter_sources(factory) == sorted(poison)
    assert merged_hubspot_contacts(factory) == frozenset()
    snapshot = boxes.salesforce.calls.snapshot()
    calls = {
        "write": sum(n for k, (n, _) in snapshot.items() if k.startswith("composite.")),
        "read": boxes.hubspot.calls.calls("POST /crm/v3/objects/contacts/search"),
    }
    leads = lead_state(boxes)
    # Every non-poison person is in Salesforce once: no normalised email twice, no poison.
    emails = Counter(email_match_key(_email(row)) for row in leads.elements())
    assert [e for e, n in emails.items() if n > 1] == []
    people = {
        email_match_key(c.properties.get("email"))
        for c in boxes.hubspot.state.store("contacts").live()
        if c.properties.get("lastname") != "Poison"
    }
    assert people <= set(emails)
    assert not any(dict(row)["LastName"] == "Poison" for row in leads)
    return Reference(leads, drop, calls)


FAMILIES = ("write-before", "write-unheard", "write-after", "db-work", "refresh", "read")


def kill_rule(case: int, ref: Reference) -> tuple[str, KillRule]:
    """The kill point of ``case``: families in turn, the exact request drawn from its seed."""
    rng = random.Random(case)
    family = FAMILIES[case % len(FAMILIES)]
    writes = ref.calls["write"]
    if family == "refresh":
        return "salesforce", KillRule("/queryAll", 1, rng.choice(["before", "unheard"]))
    if family == "read":
        return "hubspot", KillRule("/contacts/search", rng.randint(1, ref.calls["read"]), "before")
    if family == "db-work":
        # Milliseconds after the answer: the child is inside its own ingest/record commits, or,
        # where it is faster than the delay, held at its next write until the kill lands.
        delay = rng.uniform(0.002, 0.05)
        return "salesforce", KillRule(WRITES, rng.randint(1, writes - 1), "after", delay)
    when = family.removeprefix("write-")
    # A kill after an answer needs a later write, or the child might finish first.
    last = writes - 1 if when == "after" else writes
    return "salesforce", KillRule(WRITES, rng.randint(1, last), when)


# (read-ahead, seed): with ``process`` each push overlaps the next batch's ingest.
CASES = [("thread", s) for s in KILL_SEEDS] + [("process", s) for s in PROCESS_KILL_SEEDS]


@pytest.mark.parametrize(("read_ahead", "seed"), CASES, ids=[f"{r}-seed{s}" for r, s in CASES])
def test_a_sigkilled_sync_converges_to_the_reference_state(
    boxes: Sandboxes,
    reference: Reference,
    db_url: str,
    engine: Engine,
    tmp_path: Path,
    read_ahead: str,
    seed: int,
) -> None:
    seeds = KILL_SEEDS if read_ahead == "thread" else PROCESS_KILL_SEEDS
    case = seed if db_url.startswith("sqlite") else seed + len(seeds)
    boxes.reset()
    poison = seed_crms(boxes, drop=reference.drop)
    path = project_file(boxes, tmp_path, db_url, read_ahead)
    factory = session_factory(engine)
    vendor, rule = kill_rule(case, reference)
    switch = boxes.sf_switch if vendor == "salesforce" else boxes.hs_switch
    log = tmp_path / "child.log"
    with reaped([]) as procs:
        child = spawn([LEADSYNC, "-c", str(path), "sync", JOB], log, {"LEADSYNC_LOG_LEVEL": "INFO"})
        procs.append(child)
        switch.arm(child.pid, rule)
        code = child.wait(timeout=60)
    switch.disarm()
    landed = f"kill point {vendor} {rule.describe()}"
    assert switch.fired.is_set(), f"{landed} never came; child exited {code}:\n{tail(log)}"
    assert code == -signal.SIGKILL, f"{landed}: child exited {code}:\n{tail(log)}"
    if read_ahead == "process" and vendor == "salesforce" and rule.match == WRITES:
        # Killed at a write: the source's batches had begun, on the overlapping path.
        assert OVERLAPPING in log.read_text(errors="replace"), tail(log)
    with factory() as session:
        crashed = session.execute(select(SyncRun)).scalars().all()
    assert [r.status for r in crashed] == ["running"], landed  # died mid-run, lease held

    # Nobody may take over while the dead worker's lease lasts; a successor can once it expired.
    with pytest.raises(JobBusyError):
        run_in_process(path, factory, worker="successor")
    later = datetime.now(UTC) + LEASE_TTL * 1.2
    report = run_in_process(path, factory, worker="successor", clock=lambda: later)
    assert report.status in ("succeeded", "partial"), f"{landed}: {report.error}"

    assert lead_state(boxes) == reference.leads, f"{landed}: {differences(boxes, reference)}"
    assert dead_letter_sources(factory) == sorted(poison), landed


# Was a strict xfail until the refresh learned to skip the echo of leadsync's own writes.
@pytest.mark.parametrize("stop_after", [1, 3], ids=["after-batch-1", "after-batch-3"])
def test_a_job_split_into_two_runs_ends_like_one_run(
    boxes: Sandboxes, tmp_path: Path, stop_after: int
) -> None:
    states = []
    for split in (False, True):
        boxes.reset()
        seed_crms(boxes, twins=0.05)
        folder = tmp_path / f"split-{split}"
        folder.mkdir()
        url, factory = fresh_store(folder)
        path = project_file(boxes, folder, url)
        countdown = iter(range(stop_after if split else 10**9, 0, -1))
        first = run_in_process(path, factory, stop=lambda left=countdown: next(left) == 1)
        assert first.error is None or "stopped on request" in first.error
        run_in_process(path, factory)
        states.append(lead_state(boxes))
    assert states[1] == states[0]
