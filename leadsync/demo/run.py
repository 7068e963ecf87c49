"""Run the demo: sandboxes up, messy inputs in, three jobs and a webhook burst, then a report."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from leadsync.config import load_project
from leadsync.demo.data import form_submissions, write_trade_show_csv
from leadsync.demo.project import (
    HS_TOKEN_VAR,
    JOBS,
    SF_PASSWORD_VAR,
    SF_SECRET_VAR,
    demo_project,
)
from leadsync.demo.routing import demo_routing
from leadsync.demo.webhooks import send_burst
from leadsync.demo.world import running_world
from leadsync.sandbox.clients import DEFAULT_PASSWORD
from leadsync.sandbox.hubspot import DEFAULT_TOKEN
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.migrate import upgrade
from leadsync.store.models import DeadLetter, RoutingAssignment
from leadsync.sync.runner import RunReport, run_job
from leadsync.sync.wiring import Wiring


@dataclass
class DemoReport:
    """Everything the demo prints."""

    workdir: Path
    seconds: float = 0.0
    reports: list[RunReport] = field(default_factory=list)
    webhooks: dict[str, int] = field(default_factory=dict)
    salesforce_leads: tuple[int, int] = (0, 0)  # before, after
    assignments: list[tuple[str, str, int]] = field(default_factory=list)  # owner, rule, count
    dead_letters: list[tuple[str, str, str, str]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)


def run_demo(
    workdir: Path, *, seed: int = 7, leads: int = 300, hubspot_contacts: int = 200
) -> DemoReport:
    """Run the whole demo in ``workdir`` (its store and project file stay there to explore)."""
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    report = DemoReport(workdir)
    _set_demo_secrets()
    with running_world(seed=seed, leads=leads, hubspot_contacts=hubspot_contacts) as world:
        report.salesforce_leads = (world.salesforce.count("Lead"), 0)
        csv_path = workdir / "trade-show.csv"
        known = world.salesforce_people[:15] + world.hubspot_people[:10]
        report.inputs["csv"] = write_trade_show_csv(
            csv_path, seed=seed, known_people=known, new_people=40
        )
        db_path = workdir / "leadsync.db"
        for stale in workdir.glob("leadsync.db*"):
            stale.unlink()
        project_path = workdir / "leadsync.yaml"
        content = demo_project(world, csv_path, db_path, demo_routing(world))
        project_path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        project = load_project(project_path)
        engine = make_engine(project.store.url)
        upgrade(engine)
        factory = session_factory(engine)
        wiring = Wiring(project, base_dir=workdir)
        try:
            for job in JOBS[:2]:
                report.reports.append(run_job(wiring, factory, job, worker="demo"))
            burst = form_submissions(
                seed=seed, known_people=world.salesforce_people[20:25], new_people=25
            )
            report.webhooks = send_burst(wiring, factory, engine, burst, job=JOBS[2])
        finally:
            wiring.close()
        report.salesforce_leads = (report.salesforce_leads[0], world.salesforce.count("Lead"))
        _collect(report, factory)
        engine.dispose()
    report.seconds = time.perf_counter() - started
    return report


def _set_demo_secrets() -> None:
    # The project file only names these variables; the values live in the process.
    os.environ.setdefault(SF_PASSWORD_VAR, DEFAULT_PASSWORD)
    os.environ.setdefault(SF_SECRET_VAR, "demo-client-secret")
    os.environ.setdefault(HS_TOKEN_VAR, DEFAULT_TOKEN)


def _collect(report: DemoReport, factory: Any) -> None:
    with factory() as session:
        rows = session.execute(
            select(RoutingAssignment.owner, RoutingAssignment.rule, func.count())
            .group_by(RoutingAssignment.owner, RoutingAssignment.rule)
            .order_by(func.count().desc())
        ).all()
        report.assignments = [(owner, rule, count) for owner, rule, count in rows]
        letters = session.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars()
        report.dead_letters = [
            (d.source, d.stage, d.error_code or "", d.error_message[:120]) for d in letters
        ]


def counts_by_status(report: DemoReport) -> Counter[str]:
    """Total counts over the demo's runs."""
    total: Counter[str] = Counter()
    for run in report.reports:
        total.update({k: v for k, v in run.stats.as_dict().items() if v})
    return total
