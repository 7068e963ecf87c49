"""One scale-out worker process: ``Worker`` from the library on a clock the test steers.

Usage: ``python scale_worker.py PROJECT_FILE WORKER_NAME CLOCK_FILE``

The clock file holds ``{"virtual": ISO time, "wall": epoch seconds}``: the current time is the
virtual start of the test's current step plus the real seconds since that step began. The test
moves whole virtual minutes at a time, so a hundred cron ticks fire in seconds, while times
within a step still advance in real time (run intervals stay comparable across processes).
SIGTERM stops the worker after the batch in hand, as ``leadsync worker`` does.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from leadsync.config import load_project
from leadsync.store.engine import make_engine, session_factory
from leadsync.sync.wiring import Wiring
from leadsync.sync.worker import Worker


class FileClock:
    """Virtual time read from the clock file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        data = json.loads(self.path.read_text())
        elapsed = time.time() - float(data["wall"])
        return datetime.fromisoformat(data["virtual"]) + timedelta(seconds=elapsed)


def main(project_file: str, name: str, clock_file: str) -> None:
    logging.basicConfig(level=logging.INFO, format=f"{name} %(levelname)s %(name)s %(message)s")
    path = Path(project_file)
    project = load_project(path)
    factory = session_factory(make_engine(project.store.url))
    wiring = Wiring(project, base_dir=path.parent, environ=os.environ)
    worker = Worker(wiring, factory, name, clock=FileClock(Path(clock_file)))
    signal.signal(signal.SIGTERM, lambda _signum, _frame: worker.stop.set())
    print(f"{name} ready pid={os.getpid()}", flush=True)
    try:
        worker.run(poll_seconds=0.05)
    finally:
        wiring.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
