"""Route N leads through 50 rules on a SQLite store; print leads/s beside rule evaluation alone.

Usage: ``.venv/bin/python benchmarks/routing.py [--quick] [--leads N] [--batch B]``.
Target: >= 10,000 leads/s end to end (excluding CRM calls).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from bench_store import fresh_db
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


def routed(
    config: RoutingConfig, reps: list[Owner], leads: list[Lead], batch: int, db: str | None
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_db(db, tmp, "routing")
        engine = make_engine(url)
        upgrade(engine)
        router = Router(config, session_factory(engine), reps, lambda: datetime.now(UTC))
        start = time.perf_counter()
        for offset in range(0, len(leads), batch):
            chunk = leads[offset : offset + batch]
            router.route_many([(lead, f"ls-{offset + i}", None) for i, lead in enumerate(chunk)])
        rate = len(leads) / (time.perf_counter() - start)
        engine.dispose()
        drop()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--db", default=None, help="postgresql+psycopg://... (default SQLite)")
    args = parser.parse_args()
    n = args.leads or (10_000 if args.quick else 100_000)
    reps = [Owner(f"005{i:03d}", f"rep{i}@acme.example") for i in range(40)]
    config = build_config(reps)
    leads = make_leads(n)
    base = baseline(config, leads)
    rules_only = indexed(Router(config, sessionmaker(), reps, lambda: datetime.now(UTC)), leads)
    rate = routed(config, reps, leads, args.batch, args.db)
    single = routed(config, reps, leads[:2_000], 1, args.db)
    print(
        f"rules: {len(config.rules)}, teams: {len(config.teams)}, leads: {n}, batch: {args.batch}, "
        f"store: {'PostgreSQL' if args.db else 'SQLite'}"
    )
    print(f"rule evaluation only (baseline): {base:10,.0f} leads/s  (linear scan of all rules)")
    print(
        f"router's rule evaluation:        {rules_only:10,.0f} leads/s  (country index; no store)"
    )
    print(
        f"routed + durable assignments:    {rate:10,.0f} leads/s "
        f"({rate / base:.2f}x baseline, {rate / rules_only:.2f}x router's rule evaluation; "
        f"target >= 10,000/s)"
    )
    print(f"one transaction per lead:        {single:10,.0f} leads/s  (2,000 leads, batch 1)")


if __name__ == "__main__":
    main()
