"""Workers racing on the same leads and several teams: no deadlock, no double assignment."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from leadsync.connectors.base import Owner
from leadsync.mapping.model import Lead
from leadsync.store.engine import session_factory
from leadsync.store.models import AuditEntry, RoutingAssignment
from leadsync.sync.routing import Assignment, Router, RoutingConfig

REPS = [Owner(f"00{i}", f"rep{i}@acme.example") for i in range(4)]
CONFIG = RoutingConfig.model_validate({
    "rules": [{"name": "emea", "when": {"countries": ["DE"]}, "assign": {"team": "emea"}},
              {"name": "named", "when": {"countries": ["JP"]}, "assign": {"owner": REPS[0].email}},
              {"name": "amer", "assign": {"team": "amer"}}],
    "teams": {"emea": {"members": [{"email": r.email} for r in REPS[:2]]},
              "amer": {"members": [{"email": r.email} for r in REPS[2:]]}},
})  # fmt: skip
COUNTRIES = ["DE", "US", "JP"]


def test_racing_workers_agree_on_every_lead(engine: Engine) -> None:
    # Every worker routes the same 150 keys in batches whose teams come in different orders
    # (a lock-order deadlock on PostgreSQL) and whose keys overlap (a duplicate-key race).
    answers: dict[str, set[str]] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        router = Router(
            CONFIG, session_factory(engine), REPS, lambda: datetime(2026, 3, 2, tzinfo=UTC)
        )
        try:
            for n in range(0, 150, 3):
                order = range(n, n + 3) if worker % 2 else range(n + 2, n - 1, -1)
                items = [(Lead(country=COUNTRIES[i % 3]), f"ls-{i}", None) for i in order]
                for (_, key, _), got in zip(items, router.route_many(items), strict=True):
                    assert isinstance(got, Assignment)
                    with lock:
                        answers.setdefault(key, set()).add(got.owner.email)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(owners) == 1 for owners in answers.values())  # every worker saw one owner
    with session_factory(engine)() as session:
        rows = session.execute(
            select(
                RoutingAssignment.lead_key, RoutingAssignment.team, RoutingAssignment.owner
            ).order_by(RoutingAssignment.id)
        ).all()
        routed = session.execute(select(AuditEntry.record).where(AuditEntry.kind == "route"))
        audited = Counter(routed.scalars())
    assert sorted(k for k, _, _ in rows) == sorted(f"ls-{i}" for i in range(150))
    assert set(audited.values()) == {1}  # one "why" per lead, not one per worker
    per_team = Counter(team for _, team, _ in rows)
    assert per_team == {"emea": 50, "amer": 50, None: 50}
    for team in ("emea", "amer"):  # in commit order, every window is fair, not just the total
        sequence = [owner for _, t, owner in rows if t == team]
        assert_every_window_fair(sequence)


def assert_every_window_fair(sequence: list[str]) -> None:
    owners = set(sequence)
    for width in range(1, len(sequence) + 1):
        for start in range(len(sequence) - width + 1):
            counts = Counter(sequence[start : start + width])
            spread = [counts.get(owner, 0) for owner in owners]
            assert max(spread) - min(spread) <= 1, (start, width)


def test_racing_workers_without_teams_still_assign_each_key_once(engine: Engine) -> None:
    # No team means no cursor lock to queue behind: the unique key catches the race and the
    # loser retries, returning the winner's owner.
    config = RoutingConfig.model_validate(
        {"rules": [{"name": "one", "assign": {"owner": REPS[1].email}}]}
    )
    errors: list[BaseException] = []

    def work() -> None:
        router = Router(config, session_factory(engine), REPS, lambda: datetime.now(UTC))
        try:
            for n in range(0, 120, 4):
                router.route_many([(Lead(), f"ls-{i}", None) for i in range(n, n + 4)])
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_factory(engine)() as session:
        keys = session.execute(select(RoutingAssignment.lead_key)).scalars().all()
    assert sorted(keys) == sorted(f"ls-{i}" for i in range(120))
