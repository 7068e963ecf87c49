"""Jobs sharing one target: a worker outlives a job's crash; concurrent refreshes both succeed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from resilience_rig import SECRETS, Sandboxes, connectors
from sqlalchemy import Engine, select

from leadsync.config import Project
from leadsync.connectors.base import ObjectSchema, Record, Source
from leadsync.connectors.csv.connector import CsvConnector, CsvSettings
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.store.engine import session_factory
from leadsync.store.models import SyncRun
from leadsync.sync.runner import run_job
from leadsync.sync.wiring import Wiring
from leadsync.sync.worker import Worker


class ExplodingSource(Source):
    """A source whose read fails with an error no connector should raise (a bug, say)."""

    name = "exploding"
    settings_model = CsvSettings
    capabilities = CsvConnector.capabilities

    def check(self) -> None:
        return None

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        raise NotImplementedError

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        raise ZeroDivisionError("a bug deep inside a connector")


def test_an_unexpected_error_in_one_job_does_not_stop_the_others(
    boxes: Sandboxes, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    boxes.reset()
    rows = tmp_path / "rows.csv"
    rows.write_text("Email,First Name,Last Name,Company\nann.lee@acme.example,Ann,Lee,Acme\n")
    entries = connectors(boxes)
    for name in ("broken", "good"):
        entries[name] = {"type": "csv", "settings": {"path": str(rows)}}
    jobs = [
        {"name": f"{name}-job", "sources": [{"connector": name, "object": "rows"}],
         "target": "salesforce", "object": "Lead", "schedule": "* * * * *"}
        for name in ("broken", "good")
    ]  # fmt: skip
    project = Project.model_validate({"store": {"url": db_url}, "connectors": entries,
                                      "jobs": jobs})  # fmt: skip
    wiring = Wiring(project, base_dir=tmp_path, environ=SECRETS)
    wiring.use("broken", ExplodingSource())
    factory = session_factory(engine)
    now = datetime.now(UTC)
    reports = Worker(wiring, factory, "w1", clock=lambda: now).tick()
    wiring.close()

    assert [(r.job, r.status) for r in reports] == [("good-job", "succeeded")]
    with factory() as session:
        runs = {r.job: r.status for r in session.execute(select(SyncRun)).scalars()}
    assert runs == {"broken-job": "failed", "good-job": "succeeded"}
    assert [r["Email"] for r in boxes.salesforce.rows("Lead")] == ["ann.lee@acme.example"]


# Was an xfail (the second run died of a unique-key violation) until refreshes of one
# target were serialised with a row lock.
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_jobs_refreshing_one_target_at_once_both_succeed(
    boxes: Sandboxes, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    boxes.reset()
    seed_salesforce(boxes.salesforce, seed=5, leads=600, contacts=0, accounts=5, users=3)
    (tmp_path / "none.csv").write_text("Email,First Name,Last Name\n")
    entries = connectors(boxes)
    entries["empty"] = {"type": "csv", "settings": {"path": str(tmp_path / "none.csv")}}
    jobs = [
        {"name": f"job-{n}", "sources": [{"connector": "empty", "object": "rows"}],
         "target": "salesforce", "object": "Lead"}
        for n in range(2)
    ]  # fmt: skip
    project = Project.model_validate({"store": {"url": db_url}, "connectors": entries,
                                      "jobs": jobs})  # fmt: skip
    factory = session_factory(engine)
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def run(job: str) -> None:
        wiring = Wiring(project, base_dir=tmp_path, environ=SECRETS)
        wiring.connector("salesforce").check()  # logged in before the race starts
        start.wait()
        try:
            outcome[job] = run_job(wiring, factory, job, worker=job).status
        except Exception as exc:
            outcome[job] = type(exc).__name__
        finally:
            wiring.close()

    threads = [threading.Thread(target=run, args=(f"job-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcome == {"job-0": "succeeded", "job-1": "succeeded"}
