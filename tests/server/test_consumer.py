"""The background consumer: processing, batching, wake-ups, failures, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from webhook_support import LEAD, FakeProcessor, body_of, std_headers, wait_for

from leadsync.server import InboxConsumer
from leadsync.server.metrics import Metrics
from leadsync.store import inbox
from leadsync.store.engine import session_factory


def test_accepted_event_is_processed_and_timed(
    live_client: TestClient, engine: Engine, processor: FakeProcessor
) -> None:
    body = body_of(LEAD)
    answer = live_client.post("/hooks/std", content=body, headers=std_headers(body, msg_id="p1"))
    assert answer.status_code == 202
    factory = session_factory(engine)
    assert wait_for(lambda: inbox.counts(factory) == {"done": 1})
    assert processor.seen == ["p1"]
    metrics = live_client.app.state.metrics  # type: ignore[attr-defined]
    assert metrics.value("processed", source="std") == 1
    assert metrics.latency_count() == 1
    assert live_client.get("/readyz").status_code == 200


def test_failed_event_goes_back_with_backoff(engine: Engine) -> None:
    factory = session_factory(engine)
    processor = FakeProcessor(fail={"bad"})
    inbox.accept(factory, "s", "bad", "{}", datetime.now(UTC))
    inbox.accept(factory, "s", "good", "{}", datetime.now(UTC))
    metrics = Metrics()
    consumer = InboxConsumer(factory, processor, metrics, batch_size=10)
    assert consumer.run_once() == 2
    assert inbox.counts(factory) == {"done": 1, "pending": 1}
    # The failed one waits for its backoff, so an immediate round finds nothing due.
    assert consumer.run_once() == 0
    assert metrics.value("failed", source="s", final="false") == 1


def test_raising_processor_fails_the_batch_not_the_thread(engine: Engine) -> None:
    factory = session_factory(engine)
    processor = FakeProcessor(raise_error=True)
    inbox.accept(factory, "s", "e1", "{}", datetime.now(UTC))
    consumer = InboxConsumer(factory, processor, Metrics(), poll_interval=0.05)
    consumer.start()
    try:
        assert wait_for(lambda: inbox.counts(factory) == {"pending": 1} and processor.seen)
        assert consumer.alive()
    finally:
        consumer.stop()
    assert not consumer.alive()


def test_backlog_is_taken_in_batches(engine: Engine) -> None:
    factory = session_factory(engine)
    for i in range(25):
        inbox.accept(factory, "s", f"e{i}", "{}", datetime.now(UTC))
    processor = FakeProcessor()
    consumer = InboxConsumer(factory, processor, Metrics(), batch_size=10)
    while consumer.run_once():
        pass
    assert processor.batches == [10, 10, 5]
    assert sorted(processor.seen) == sorted(f"e{i}" for i in range(25))


def test_wake_processes_without_waiting_for_the_poll(engine: Engine) -> None:
    factory = session_factory(engine)
    processor = FakeProcessor()
    # A poll interval far beyond the wait below: only the wake-up can explain processing.
    consumer = InboxConsumer(factory, processor, Metrics(), poll_interval=600)
    consumer.start()
    try:
        assert wait_for(lambda: not consumer._wake.is_set(), timeout=5)
        inbox.accept(factory, "s", "now", "{}", datetime.now(UTC))
        consumer.wake()
        assert wait_for(lambda: processor.seen == ["now"], timeout=20)
    finally:
        consumer.stop()
