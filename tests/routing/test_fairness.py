"""Round robin stays fair and exact with 4 worker processes assigning at once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.models import RoutingAssignment
from leadsync.sync.routing import Router, RoutingConfig

REPS = [Owner(f"005{i}", f"rep{i}@acme.example") for i in range(7)]
CONFIG = {
    "rules": [{"name": "all", "assign": {"team": "sales"}}],
    "teams": {"sales": {"members": [{"email": o.email} for o in REPS]}},
}


def _work(url: str, worker: int, workers: int, total: int) -> int:
    engine = make_engine(url)
    router = Router(
        RoutingConfig.model_validate(CONFIG),
        session_factory(engine),
        REPS,
        lambda: datetime(2026, 3, 2, tzinfo=UTC),
    )
    keys = [f"ls-{i}" for i in range(worker, total, workers)]
    lead = Lead(email="a@b.example", country="US")
    for start in range(0, len(keys), 25):
        router.route_many([(lead, key, None) for key in keys[start : start + 25]])
    engine.dispose()
    return len(keys)


def _run(url: str, total: int) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        done = pool.starmap(_work, [(url, w, 4, total) for w in range(4)])
    assert sum(done) == total
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(select(RoutingAssignment.lead_key, RoutingAssignment.owner)).all()
    engine.dispose()
    assert sorted(k for k, _ in rows) == sorted(f"ls-{i}" for i in range(total))  # none lost
    per_rep = Counter(owner for _, owner in rows)
    assert set(per_rep) == {o.email for o in REPS}
    assert max(per_rep.values()) - min(per_rep.values()) <= 1


def test_four_workers_share_fairly(db_url: str) -> None:
    from leadsync.store.migrate import upgrade

    upgrade(make_engine(db_url))
    _run(db_url, 1_000)


@pytest.mark.slow
def test_four_workers_share_10000_leads_fairly_on_postgres(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the 10,000-lead run is the PostgreSQL scale-out check")
    from leadsync.store.migrate import upgrade

    upgrade(make_engine(db_url))
    _run(db_url, 10_000)
