"""The inbox repository on both backends: accept once, disjoint claims, retries, purge."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from leadsync.store import inbox
from leadsync.store.engine import session_factory
from leadsync.store.models import InboxEvent

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(engine: Engine, n: int, at: datetime = T0) -> None:
    factory = session_factory(engine)
    for i in range(n):
        assert inbox.accept(factory, "src", f"e{i}", "{}", at)


def test_accept_is_idempotent_per_source(engine: Engine) -> None:
    factory = session_factory(engine)
    assert inbox.accept(factory, "a", "x", "{}", T0) is True
    assert inbox.accept(factory, "a", "x", '{"other": 1}', T0) is False
    assert inbox.accept(factory, "b", "x", "{}", T0) is True
    assert inbox.counts(factory) == {"pending": 2}


def test_claims_take_oldest_first_and_count_attempts(engine: Engine) -> None:
    _fill(engine, 5)
    factory = session_factory(engine)
    first = inbox.claim_batch(factory, 3, "w1", now=T0)
    second = inbox.claim_batch(factory, 3, "w2", now=T0)
    assert [e.event_id for e in first] == ["e0", "e1", "e2"]
    assert [e.event_id for e in second] == ["e3", "e4"]
    assert all(e.attempts == 1 and e.status == "processing" for e in first + second)
    assert inbox.claim_batch(factory, 3, "w3", now=T0) == []


def test_concurrent_consumers_never_share_an_event(engine: Engine) -> None:
    _fill(engine, 120)
    factory = session_factory(engine)
    taken: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def consume(slot: int) -> None:
        barrier.wait()
        while batch := inbox.claim_batch(factory, 7, f"w{slot}", now=T0):
            taken[slot].extend(e.event_id for e in batch)

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    everything = [e for part in taken for e in part]
    assert sorted(everything) == sorted(f"e{i}" for i in range(120))
    assert len(set(everything)) == len(everything)


def test_expired_claim_is_taken_over(engine: Engine) -> None:
    _fill(engine, 1)
    factory = session_factory(engine)
    assert inbox.claim_batch(factory, 10, "crashed", now=T0)
    assert inbox.claim_batch(factory, 10, "w", now=T0 + timedelta(minutes=4)) == []
    again = inbox.claim_batch(factory, 10, "w", now=T0 + timedelta(minutes=6))
    assert [e.attempts for e in again] == [2]


def test_failures_back_off_then_give_up(engine: Engine) -> None:
    _fill(engine, 1)
    factory = session_factory(engine)
    now = T0
    statuses = []
    for attempt in range(1, 4):
        (event,) = inbox.claim_batch(factory, 1, "w", now=now)
        assert event.attempts == attempt
        statuses.append(inbox.mark_failed(factory, event.id, "boom", max_attempts=3, now=now))
        delay = inbox.retry_delay(attempt)
        # Not due before its backoff has passed.
        assert inbox.claim_batch(factory, 1, "w", now=now + delay - timedelta(seconds=0.5)) == []
        now = now + delay
    assert statuses == ["pending", "pending", "failed"]
    assert inbox.counts(factory) == {"failed": 1}


def test_non_retryable_failure_is_final(engine: Engine) -> None:
    _fill(engine, 1)
    factory = session_factory(engine)
    (event,) = inbox.claim_batch(factory, 1, "w", now=T0)
    assert inbox.mark_failed(factory, event.id, "bad data", retryable=False, now=T0) == "failed"
    with factory() as session:
        stored = session.get(InboxEvent, event.id)
        assert stored is not None
        assert stored.error == "bad data"


def test_purge_keeps_ids_thirty_days_and_never_drops_pending(engine: Engine) -> None:
    factory = session_factory(engine)
    inbox.accept(factory, "s", "old-done", "{}", T0 - timedelta(days=31))
    inbox.accept(factory, "s", "young-done", "{}", T0 - timedelta(days=29))
    inbox.accept(factory, "s", "old-pending", "{}", T0 - timedelta(days=40))
    claimed = {e.event_id: e.id for e in inbox.claim_batch(factory, 10, "w", now=T0)}
    inbox.mark_done(factory, [claimed["old-done"], claimed["young-done"]], now=T0)
    # A failed attempt puts it back to pending: still never purged.
    assert inbox.mark_failed(factory, claimed["old-pending"], "x", now=T0) == "pending"
    assert inbox.purge_older_than(factory, 30, now=T0) == 1
    # The purged id may arrive again; the young one is still a duplicate.
    assert inbox.accept(factory, "s", "old-done", "{}", T0) is True
    assert inbox.accept(factory, "s", "young-done", "{}", T0) is False
    assert inbox.accept(factory, "s", "old-pending", "{}", T0) is False
    with pytest.raises(ValueError, match="30 days"):
        inbox.purge_older_than(factory, 7, now=T0)
