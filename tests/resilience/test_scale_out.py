"""Four worker processes share forty scheduled jobs on PostgreSQL through a hundred cron ticks.

Each worker is a separate process running the library's ``Worker`` (tests/resilience/
scale_worker.py) on a clock file the test moves one virtual minute at a time; jobs read small
CSV files into the Salesforce sandbox. One worker is SIGKILLed in the middle of the long job:
nobody may take the job over before its lease expires, and afterwards another worker must
finish it. At the end every tick exists exactly once, no job ever ran twice at the same time,
and every CSV row is in Salesforce exactly once.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from croniter import croniter
from faker import Faker
from resilience_rig import (
    PYTHON,
    Sandboxes,
    connectors,
    reaped,
    spawn,
    tail,
    wait_for,
    write_project,
)
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.store.engine import session_factory
from leadsync.store.models import Checkpoint, CronTick, SyncRun
from leadsync.sync.runner import LEASE_TTL

WORKERS, STEPS = 4, 10
BULK, BULK_ROWS, SMALL_ROWS = "bulk", 150, 3
SCRIPT = Path(__file__).with_name("scale_worker.py")


def job_schedules() -> dict[str, str]:
    """40 jobs whose cron ticks over the ten stepped minutes add up to 100."""
    schedules = {BULK: "* * * * *"}  # first in every worker's pass: it starts at once
    for i in range(39):
        every = "*/2 * * * *" if i < 9 else ("*/5 * * * *" if i < 24 else "0 * * * *")
        schedules[f"job-{i:02d}"] = every
    return schedules


def expected_ticks(schedules: dict[str, str], start: datetime) -> set[tuple[str, datetime]]:
    minutes = [start + timedelta(minutes=m) for m in range(STEPS)]
    return {(job, at) for job, cron in schedules.items() for at in minutes
            if croniter.match(cron, at)}  # fmt: skip


def people(count: int) -> list[tuple[str, str, str]]:
    """``count`` clearly different people (first, last, company): no two may match."""
    fake = Faker("en_US")
    fake.seed_instance(8)
    first = [fake.unique.first_name() for _ in range(count)]
    last = [fake.unique.last_name() for _ in range(count)]
    return [(first[i], last[i], fake.unique.company()) for i in range(count)]


def write_csv(path: Path, job: str, who: list[tuple[str, str, str]]) -> list[str]:
    # Emails as unlike each other as the people: near-identical ones would go to review.
    emails = [f"{first}.{last}@{job}.example".lower() for first, last, _ in who]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Last Name", "Company"])
        writer.writerows([email, *person] for email, person in zip(emails, who, strict=True))
    return emails


def build_project(boxes: Sandboxes, folder: Path, db_url: str) -> tuple[Path, dict[str, list[str]]]:
    entries = connectors(boxes)
    jobs: list[dict[str, Any]] = []
    emails: dict[str, list[str]] = {}
    made = 0
    schedules = job_schedules()
    crowd = people(BULK_ROWS + SMALL_ROWS * (len(schedules) - 1))
    for job, cron in schedules.items():
        rows = BULK_ROWS if job == BULK else SMALL_ROWS
        emails[job] = write_csv(folder / f"{job}.csv", job, crowd[made : made + rows])
        made += rows
        entries[f"csv-{job}"] = {"type": "csv", "settings": {"path": str(folder / f"{job}.csv")}}
        jobs.append({"name": job, "sources": [{"connector": f"csv-{job}", "object": "rows"}],
                     "target": "salesforce", "object": "Lead", "schedule": cron,
                     "batch_size": 5 if job == BULK else 50})  # fmt: skip
    entries.pop("hubspot")
    data = {"store": {"url": db_url}, "connectors": entries, "jobs": jobs,
            "policy": {"objects": {"lead": {"master": "salesforce"}}}}  # fmt: skip
    return write_project(folder / "leadsync.yaml", data), emails


class SteppedClock:
    """Writes the clock file the worker processes read (see scale_worker.py)."""

    def __init__(self, path: Path, start: datetime) -> None:
        self.path, self.start = path, start

    def step(self, minute: int) -> datetime:
        # One second into the minute, so every schedule's tick for it is due.
        virtual = self.start + timedelta(minutes=minute, seconds=1)
        data = {"virtual": virtual.isoformat(), "wall": datetime.now(UTC).timestamp()}
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps(data))
        os.replace(scratch, self.path)
        return virtual


def runs(factory: sessionmaker[Session], job: str | None = None) -> list[SyncRun]:
    with factory() as session:
        query = select(SyncRun).order_by(SyncRun.started_at)
        return list(session.execute(query if job is None else query.where(SyncRun.job == job))
                    .scalars())  # fmt: skip


def tick_rows(factory: sessionmaker[Session]) -> list[tuple[str, datetime]]:
    with factory() as session:
        return [(t.job, t.fire_at) for t in session.execute(select(CronTick)).scalars()]


def bulk_mid_run(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        query = select(func.count()).select_from(Checkpoint)
        query = query.where(Checkpoint.job == BULK, Checkpoint.connector == f"csv-{BULK}")
        started = any(r.status == "running" for r in runs(factory, BULK))
        return started and session.execute(query).scalar_one() > 0


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_workers_share_jobs_fire_each_tick_once_and_recover_a_killed_worker(
    boxes: Sandboxes, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    boxes.reset()
    path, emails = build_project(boxes, tmp_path, db_url)
    factory = session_factory(engine)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    expected = expected_ticks(job_schedules(), start)
    assert len(expected) == 100
    clock = SteppedClock(tmp_path / "clock.json", start)
    clock.step(0)
    names = [f"w{n}" for n in range(WORKERS)]
    logs = {name: tmp_path / f"{name}.log" for name in names}
    with reaped([]) as procs:
        for name in names:
            procs.append(spawn([PYTHON, str(SCRIPT), str(path), name, str(clock.path)], logs[name]))
        by_name = dict(zip(names, procs, strict=True))
        killed, killed_at = run_steps(clock, factory, expected, by_name, logs)
        wait_for(lambda: finished_after(factory, killed), timeout=90, what="the bulk takeover",
                 every=0.1)  # fmt: skip
        for name, proc in by_name.items():
            if name != killed:
                proc.send_signal(signal.SIGTERM)
        for name, proc in by_name.items():
            code = proc.wait(timeout=60)
            want = -signal.SIGKILL if name == killed else 0
            assert code == want, f"{name} exited {code}:\n{tail(logs[name])}"

    ticks = tick_rows(factory)
    assert len(ticks) == len(set(ticks)) == 100
    assert set(ticks) == expected
    assert_no_overlapping_runs(factory)
    assert_takeover_after_lease_expiry(factory, killed, killed_at)
    # Ticks of the bulk job that fell while a run held its lease were skipped, not run twice.
    assert len(runs(factory, BULK)) < sum(1 for job, _ in ticks if job == BULK)
    assert len({r.worker for r in runs(factory)}) >= 3  # the work really was shared
    raced = jobs_lost_to_the_identity_race(factory, killed, logs)
    assert_each_row_in_salesforce_once(boxes, emails, raced)


def assert_each_row_in_salesforce_once(
    boxes: Sandboxes, emails: dict[str, list[str]], raced: set[str]
) -> None:
    in_salesforce = Counter(r.get("Email") for r in boxes.salesforce.rows("Lead"))
    everyone = [e for rows in emails.values() for e in rows]
    assert max(in_salesforce[e] for e in everyone) == 1  # nothing is ever created twice
    complete = [e for job, rows in emails.items() if job not in raced for e in rows]
    assert {e: in_salesforce[e] for e in complete} == dict.fromkeys(complete, 1)


def run_steps(
    clock: SteppedClock,
    factory: sessionmaker[Session],
    expected: set[tuple[str, datetime]],
    procs: dict[str, subprocess.Popen[bytes]],
    logs: dict[str, Path],
) -> tuple[str, datetime]:
    """Move the clock minute by minute once every tick due so far has fired; kill mid-bulk."""
    killed: tuple[str, datetime] | None = None
    for minute in range(STEPS):
        now = clock.step(minute)
        due = sum(1 for _, at in expected if at <= now)
        if killed is None:
            wait_for(lambda: bulk_mid_run(factory), timeout=60, what="the bulk job mid-run")
            holder = next(r.worker for r in runs(factory, BULK) if r.status == "running")
            assert holder in procs
            os.killpg(procs[holder].pid, signal.SIGKILL)
            killed = (holder, now)
        dead = [n for n, p in procs.items() if p.poll() is not None and n != killed[0]]
        assert not dead, f"{dead} died:\n{tail(logs[dead[0]])}"
        wait_for(lambda due=due: len(tick_rows(factory)) >= due, timeout=60,
                 what=f"the {due} ticks due by minute {minute}", every=0.05)  # fmt: skip
    assert killed is not None
    return killed


def finished_after(factory: sessionmaker[Session], killed: str) -> bool:
    bulk = runs(factory, BULK)
    done = any(r.worker != killed and r.status == "succeeded" for r in bulk)
    busy = any(r.status == "running" and r.worker != killed for r in runs(factory))
    return done and not busy


def assert_no_overlapping_runs(factory: sessionmaker[Session]) -> None:
    by_job: dict[str, list[SyncRun]] = {}
    for run in runs(factory):
        by_job.setdefault(run.job, []).append(run)
    for job, job_runs in by_job.items():
        for before, after in zip(job_runs, job_runs[1:], strict=False):
            assert after.fencing > before.fencing, f"{job}: fencing did not grow"
            if before.finished_at is not None:
                assert before.finished_at <= after.started_at, f"{job}: runs overlap"


RACE = "uq_identities_system_object_external_id"


def jobs_lost_to_the_identity_race(
    factory: sessionmaker[Session], killed: str, logs: dict[str, Path]
) -> set[str]:
    """Jobs whose last run failed, all of the known race; every other job's last run succeeded.

    Known engine bug (test_shared_target.py): jobs sharing a target can race to insert the same
    target identity on PostgreSQL; the loser's run fails with a unique-key violation. The
    worker survives it and the job's next tick retries, but a job ticking once in the window
    stays behind. Any other failure fails this test.
    """
    crashes: dict[str, list[str]] = {}
    for name, log in logs.items():
        if name == killed:
            continue
        for block in log.read_text().split(f"{name} ERROR leadsync.sync.worker job ")[1:]:
            job, _, trace = block.partition(" crashed")
            crashes.setdefault(job, []).append(trace.split(f"\n{name} ")[0])
    assert all(RACE in trace for traces in crashes.values() for trace in traces), crashes
    last = {r.job: r for r in runs(factory)}
    assert set(last) == set(job_schedules())
    failed = {r.job for r in runs(factory) if r.status != "succeeded" and r.worker != killed}
    assert failed <= set(crashes)
    raced = {job for job, r in last.items() if r.status != "succeeded"}
    if failed:
        warnings.warn(f"runs of {sorted(failed)} lost the identity race", stacklevel=2)
    return raced


def assert_takeover_after_lease_expiry(
    factory: sessionmaker[Session], killed: str, killed_at: datetime
) -> None:
    bulk = runs(factory, BULK)
    dead = [r for r in bulk if r.worker == killed]
    assert [r.status for r in dead] == ["running"]  # it never finished: SIGKILL
    later = [r for r in bulk if r.started_at > dead[0].started_at]
    assert later, "nobody took the bulk job over"
    # The lease was taken just before the dead run started and only renewals extended it.
    slack = timedelta(seconds=1)
    assert all(r.started_at >= dead[0].started_at + LEASE_TTL - slack for r in later)
    assert later[0].started_at >= killed_at
    # It resumed from the dead run's checkpoint instead of starting over.
    resumed = next(r for r in later if r.status == "succeeded")
    assert 0 < resumed.stats["read"] < BULK_ROWS
    assert later[-1].status == "succeeded"
    assert later[-1].worker != killed
