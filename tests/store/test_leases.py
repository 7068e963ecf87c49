from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from leadsync.errors import LeaseLostError
from leadsync.store import checkpoints, leases, ticks
from leadsync.store.engine import session_factory, transaction

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


def test_only_one_holder_until_expiry(engine: Engine) -> None:
    factory = session_factory(engine)
    first = leases.claim(factory, "job-a", "w1", now=T0, ttl=TTL)
    assert first is not None
    assert first.fencing == 1
    assert leases.claim(factory, "job-a", "w2", now=T0 + timedelta(seconds=10), ttl=TTL) is None
    taken = leases.claim(factory, "job-a", "w2", now=T0 + timedelta(seconds=31), ttl=TTL)
    assert taken is not None
    assert (taken.holder, taken.fencing) == ("w2", 2)


def test_zombie_checkpoint_write_is_rejected(engine: Engine) -> None:
    factory = session_factory(engine)
    zombie = leases.claim(factory, "job-a", "w1", now=T0, ttl=TTL)
    assert zombie is not None
    successor = leases.claim(factory, "job-a", "w2", now=T0 + TTL * 2, ttl=TTL)
    assert successor is not None
    late = checkpoints.Watermark(T0 + timedelta(hours=1), frozenset({"late"}))
    with pytest.raises(LeaseLostError), transaction(factory) as session:
        checkpoints.save(session, zombie, "hubspot", "contacts", late, now=T0)
    good = checkpoints.Watermark(T0, frozenset({"a"}))
    with transaction(factory) as session:
        checkpoints.save(session, successor, "hubspot", "contacts", good, now=T0)
    assert checkpoints.load(factory, "job-a", "hubspot", "contacts") == good


def test_renew_after_takeover_fails_and_release_keeps_successor(engine: Engine) -> None:
    factory = session_factory(engine)
    old = leases.claim(factory, "j", "w1", now=T0, ttl=TTL)
    assert old is not None
    new = leases.claim(factory, "j", "w2", now=T0 + TTL * 2, ttl=TTL)
    assert new is not None
    with pytest.raises(LeaseLostError):
        leases.renew(factory, old, now=T0, ttl=TTL)
    leases.release(factory, old)  # must not free the successor's lease
    assert leases.claim(factory, "j", "w3", now=T0 + TTL * 2, ttl=TTL) is None
    leases.release(factory, new)
    assert leases.claim(factory, "j", "w3", now=T0 + TTL * 2, ttl=TTL) is not None


def test_paused_job_is_not_claimed_until_pause_ends(engine: Engine) -> None:
    factory = session_factory(engine)
    lease = leases.claim(factory, "j", "w1", now=T0, ttl=TTL)
    assert lease is not None
    leases.release(factory, lease, paused_until=T0 + timedelta(hours=1))
    assert leases.claim(factory, "j", "w2", now=T0 + timedelta(minutes=5), ttl=TTL) is None
    assert leases.claim_any(factory, ["j"], "w2", now=T0 + timedelta(minutes=5), ttl=TTL) is None
    assert leases.claim_any(factory, ["j"], "w2", now=T0 + timedelta(hours=2), ttl=TTL) is not None


def test_concurrent_claims_yield_one_holder(engine: Engine) -> None:
    factory = session_factory(engine)
    results: list[leases.Lease | None] = []
    barrier = threading.Barrier(8)

    def worker(name: str) -> None:
        barrier.wait()
        results.append(leases.claim(factory, "contended", name, now=T0, ttl=TTL))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = [lease for lease in results if lease is not None]
    assert len(held) == 1
    assert held[0].fencing == 1


def test_each_cron_tick_fires_once_across_workers(engine: Engine) -> None:
    factory = session_factory(engine)
    fired: Counter[tuple[str, datetime]] = Counter()
    lock = threading.Lock()
    fire_times = [T0 + timedelta(minutes=15 * i) for i in range(10)]

    def worker(name: str) -> None:
        for fire_at in fire_times:
            if ticks.claim_tick(factory, "j", fire_at, name, now=fire_at):
                with lock:
                    fired[("j", fire_at)] += 1

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fired) == [("j", t) for t in fire_times]
    assert set(fired.values()) == {1}


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        ("*/15 * * * *", T0 + timedelta(minutes=7, seconds=3), T0),
        ("*/15 * * * *", T0 + timedelta(minutes=15), T0 + timedelta(minutes=15)),
        ("0 9 * * *", T0, T0.replace(hour=9)),
    ],
    ids=["between-fires", "exact-fire", "daily"],
)
def test_due_fire_time(schedule: str, now: datetime, expected: datetime) -> None:
    assert ticks.due_fire_time(schedule, now) == expected


def test_watermark_is_inclusive_and_skips_seen_ids() -> None:
    mark = checkpoints.Watermark().advanced([("a", T0), ("b", T0)])
    assert mark == checkpoints.Watermark(T0, frozenset({"a", "b"}))
    assert not mark.admits("a", T0)
    assert mark.admits("c", T0)  # shares the watermark, not yet seen
    assert mark.admits("a", T0 + timedelta(seconds=1))  # updated again later
    assert not mark.admits("z", T0 - timedelta(seconds=1))
    later = mark.advanced([("c", T0), ("d", T0 + timedelta(seconds=1))])
    assert later == checkpoints.Watermark(T0 + timedelta(seconds=1), frozenset({"d"}))
