"""Route N leads through 50 rules with durable assignments; print leads/s on SQLite and PostgreSQL.

Usage: ``.venv/bin/python benchmarks/routing.py [--quick] [--leads N] [--batch B] [--db URL]``.
PostgreSQL runs beside SQLite when ``--db`` names it, or when the local test database
(``$LEADSYNC_TEST_PG``, else ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) answers;
``--no-postgres`` skips it. Target: >= 10,000 leads/s end to end (excluding CRM calls), on
both stores, at 100,000 leads, and no slower in the last batches than in the first. Besides
wall time it prints CPU time (this process, plus the PostgreSQL backend when the server is
local), which other work on a shared machine does not distort.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench_store import fresh_db
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import sessionmaker

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead, Touch
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.migrate import upgrade
from leadsync.sync.routing import Router, RoutingConfig
from leadsync.sync.routing.conditions import matches
from leadsync.sync.routing.scoring import score

COUNTRIES = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "JP", "AU", "BR", "IN", "MX"]
INDUSTRIES = ["Software", "Banking", "Retail", "Healthcare", "Manufacturing", "Education"]
LOCAL_PG = os.environ.get("LEADSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET = 10_000


def build_config(reps: list[Owner]) -> RoutingConfig:
    rng = random.Random(1)
    rules: list[dict[str, Any]] = []
    teams: dict[str, Any] = {}
    for i in range(50):
        team = f"team-{i % 10}"
        teams.setdefault(
            team,
            {
                "members": [
                    {"email": r.email, "weight": 1 + (j % 3), "daily_cap": 100_000}
                    for j, r in enumerate(rng.sample(reps, 5))
                ]
            },
        )
        when: dict[str, Any] = {"countries": rng.sample(COUNTRIES, 2)}
        if i % 3 == 0:
            when["industries"] = rng.sample(INDUSTRIES, 2)
        if i % 4 == 0:
            when["employees"] = {"min": rng.choice([0, 50, 200]), "max": rng.choice([500, 5000])}
        if i % 5 == 0:
            when["conditions"] = [
                {"field": "first_touch.source", "op": "in", "value": ["webinar", "ads", "referral"]}
            ]
        rules.append({"name": f"rule-{i}", "when": when, "assign": {"team": team}})
    return RoutingConfig.model_validate({
        "rules": rules, "teams": teams, "fallback_owner": reps[0].email,
        "scoring": {"rules": [{"name": "big", "when": {"employees": {"min": 1000}}, "points": 50}]},
        "first_response_minutes": {"hot": 15, "warm": 240, "cold": 1440},
    })  # fmt: skip


def make_leads(n: int) -> list[Lead]:
    rng = random.Random(2)
    sources = ["webinar", "ads", "referral", "organic"]
    return [Lead(email=f"l{i}@x.example", country=rng.choice(COUNTRIES),
                 industry=rng.choice(INDUSTRIES), employee_count=rng.randint(1, 10_000),
                 first_touch=Touch(source=rng.choice(sources)))
            for i in range(n)]  # fmt: skip


def baseline(config: RoutingConfig, leads: list[Lead]) -> float:
    """Score and first matching rule by a linear scan of every rule; no store."""
    start = time.perf_counter()
    for lead in leads:
        _points, tier = score(lead, config.scoring)
        next((r for r in config.rules if matches(r.when, lead, tier, {})), None)
    return len(leads) / (time.perf_counter() - start)


def indexed(router: Router, leads: list[Lead]) -> float:
    """The router's own rule evaluation (country index, compiled tests); no store."""
    start = time.perf_counter()
    for lead in leads:
        _points, tier = score(lead, router.config.scoring)
        next((r for r, test in router.candidates(lead) if test(lead, tier, {})), None)
    return len(leads) / (time.perf_counter() - start)


class ServerCpu:
    """CPU seconds spent by the PostgreSQL backends serving an engine (a local server only).

    Wall time swings on a shared machine; CPU time of this process plus its backends does not,
    so it is what says whether a change made routing cheaper.
    """

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, connection: Any, _record: Any) -> None:
        self.pids.add(connection.info.backend_pid)

    def seconds(self) -> float | None:
        """Total so far; None when the server's processes are not visible here."""
        total = 0.0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


@dataclass(frozen=True)
class Run:
    """One routing run: wall and CPU time of every batch, in order."""

    leads: int
    wall: float
    batches: list[float]  # wall seconds
    cpus: list[float]  # CPU seconds of this process and, for a local PostgreSQL, its backend
    server: bool  # whether the cpus include the server's

    @property
    def rate(self) -> float:
        return self.leads / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.leads / sum(self.cpus)

    def ends(self, values: list[float]) -> tuple[float, float]:
        """Sum of ``values`` over the first and over the last 10% of batches."""
        tenth = max(1, len(values) // 10)
        return sum(values[:tenth]), sum(values[-tenth:])


def routed(
    config: RoutingConfig, reps: list[Owner], leads: list[Lead], batch: int, db: str | None
) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_db(db, tmp, "routing")
        engine = make_engine(url)
        server = ServerCpu(engine)
        try:
            upgrade(engine)
            router = Router(config, session_factory(engine), reps, lambda: datetime.now(UTC))
            router.route_many([])  # owner check and cursor rows: set-up, not routing
            times: list[float] = []
            cpus: list[float] = []
            start = time.perf_counter()
            for offset in range(0, len(leads), batch):
                chunk = leads[offset : offset + batch]
                began, cpu, served = time.perf_counter(), time.process_time(), server.seconds()
                items = [(lead, f"ls-{offset + i}", None) for i, lead in enumerate(chunk)]
                router.route_many(items)
                times.append(time.perf_counter() - began)
                after = server.seconds()
                extra = after - served if after is not None and served is not None else 0.0
                cpus.append(time.process_time() - cpu + extra)
            wall = time.perf_counter() - start
            visible = bool(server.pids) and server.seconds() is not None
        finally:
            engine.dispose()
            drop()
    return Run(len(leads), wall, times, cpus, visible)


def reachable(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here": SQLite only
        return False
    finally:
        engine.dispose()


def report(store: str, run: Run, single: Run) -> None:
    mark = "ok" if run.rate >= TARGET else "BELOW TARGET"
    whose = "this process + PostgreSQL backend" if run.server else "this process"
    print(f"{store}:")
    print(
        f"  routed + durable assignments:  {run.rate:10,.0f} leads/s  ({mark}; target >= "
        f"{TARGET:,}/s)"
    )
    print(
        f"  per CPU-second ({whose}): {run.cpu_rate:10,.0f} leads  "
        f"({sum(run.cpus) / run.leads * 1e6:.0f} us/lead; the most an idle machine would give)"
    )
    # CPU decides the verdict: wall time on a shared machine swings with everyone's load.
    first, last = run.ends(run.cpus)
    wall_first, wall_last = run.ends(run.batches)
    growth = last / first
    verdict = "holds" if growth <= 1.2 else "DEGRADES"
    print(
        f"  rate with N: first 10% -> last 10% of batches: CPU {first:.2f} -> {last:.2f} s "
        f"(x{growth:.2f}: {verdict}); wall {wall_first:.2f} -> {wall_last:.2f} s"
    )
    print(f"  one transaction per lead:      {single.rate:10,.0f} leads/s  (2,000 leads, batch 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--db", default=None, help="postgresql+psycopg://... (run beside SQLite)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    n = args.leads or (10_000 if args.quick else 100_000)
    reps = [Owner(f"005{i:03d}", f"rep{i}@acme.example") for i in range(40)]
    config = build_config(reps)
    leads = make_leads(n)
    stores: list[tuple[str, str | None]] = [("SQLite", None)]
    postgres = None if args.no_postgres else args.db or LOCAL_PG
    if postgres and (args.db or reachable(postgres)):
        stores.append(("PostgreSQL", postgres))
    base = baseline(config, leads)
    rules_only = indexed(Router(config, sessionmaker(), reps, lambda: datetime.now(UTC)), leads)
    print(
        f"rules: {len(config.rules)}, teams: {len(config.teams)}, leads: {n}, "
        f"batch: {args.batch}, stores: {', '.join(name for name, _ in stores)}"
    )
    print(f"rule evaluation only (baseline): {base:10,.0f} leads/s  (linear scan of all rules)")
    print(
        f"router's rule evaluation:        {rules_only:10,.0f} leads/s  (country index, no store)"
    )
    for name, url in stores:
        run = routed(config, reps, leads, args.batch, url)
        single = routed(config, reps, leads[:2_000], 1, url)
        report(name, run, single)


if __name__ == "__main__":
    main()
