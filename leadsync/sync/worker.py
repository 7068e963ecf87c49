"""The worker: fires scheduled jobs once per cron tick across all workers, until told to stop.

Every worker runs the same loop; the store decides who does what. A cron tick is a unique row,
so each (job, fire time) runs once however many workers see it; the job lease keeps two runs
of one job apart; SIGTERM lets the running batch finish and checkpoint before exiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import LeadsyncError
from leadsync.store import ticks
from leadsync.sync.runner import JobBusyError, RunReport, run_job, utcnow
from leadsync.sync.wiring import Wiring

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """One worker process's scheduling loop.

    Args:
        wiring: The project's connectors and mappings.
        factory: Store sessions.
        name: This worker's name (lease holder, tick owner).
        clock: Current time (a fake one in tests).
        stop: Set to ask the worker to stop after the current batch.
    """

    wiring: Wiring
    factory: sessionmaker[Session]
    name: str
    clock: Callable[[], datetime] = utcnow
    stop: threading.Event = field(default_factory=threading.Event)
    extra_work: list[Callable[[], int]] = field(default_factory=list)

    def tick(self) -> list[RunReport]:
        """Fire every scheduled job whose current tick nobody has fired yet."""
        reports = []
        now = self.clock()
        for job in self.wiring.project.jobs:
            if job.schedule is None or self.stop.is_set():
                continue
            fire_at = ticks.due_fire_time(job.schedule, now)
            if not ticks.claim_tick(self.factory, job.name, fire_at, self.name, now=now):
                continue
            try:
                reports.append(
                    run_job(
                        self.wiring,
                        self.factory,
                        job.name,
                        worker=self.name,
                        clock=self.clock,
                        stop=self.stop.is_set,
                    )
                )
            except JobBusyError:
                log.info("tick %s of %s skipped: the job is still running", fire_at, job.name)
            except LeadsyncError as exc:
                log.error("job %s failed: %s", job.name, exc)
            except Exception:
                # One job's unexpected error (e.g. a database conflict) must not end the loop
                # for every other job: the run row already says "failed", the next tick retries.
                log.exception("job %s crashed", job.name)
        return reports

    def run(self, poll_seconds: float = 1.0) -> None:
        """Loop until :attr:`stop` is set: scheduled jobs, then any extra work (webhooks)."""
        while not self.stop.is_set():
            self.tick()
            busy = sum(work() for work in self.extra_work)
            if not busy:
                self.stop.wait(poll_seconds)
