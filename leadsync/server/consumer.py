"""The inbox consumer: a background thread that feeds pending events to the sync engine.

It claims whatever is due, up to ``batch_size`` at a time, hands the batch to the
:class:`InboxProcessor`, records each outcome, and repeats until nothing is due; then it
sleeps until the receiver signals a new event (or ``poll_interval`` passes, which picks up
retries and events accepted by other server processes). When idle a new event is processed
at once; under steady load rounds are spaced ``linger`` apart so that each carries a batch;
with a backlog full batches follow each other without pause.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from leadsync.server.metrics import Metrics
from leadsync.store import inbox
from leadsync.store.models import InboxEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessOutcome:
    """What happened to one inbox event.

    Attributes:
        id: The inbox row id (``InboxEvent.id``).
        ok: True when the event is fully handled.
        error: Why it failed (no secrets).
        retryable: A failed event is tried again later when True.
    """

    id: int
    ok: bool
    error: str | None = None
    retryable: bool = True


class InboxProcessor(Protocol):
    """What the sync engine supplies to handle received webhook events."""

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        """Handle ``events``; return one outcome per event (a missing one counts as failed)."""
        ...


def default_worker_name() -> str:
    """Return ``host:pid``, unique enough among consumers of one store."""
    return f"{socket.gethostname()}:{os.getpid()}"


class InboxConsumer:
    """Runs an :class:`InboxProcessor` over the inbox in a daemon thread."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        processor: InboxProcessor,
        metrics: Metrics,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        linger: float = 0.01,
        max_attempts: int = 5,
        retention_days: int = 30,
        worker: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.factory = factory
        self.processor = processor
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.linger = linger
        self.max_attempts = max_attempts
        self.retention_days = retention_days
        self.worker = worker or default_worker_name()
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_purge = 0.0

    def wake(self) -> None:
        """Signal that an event was just accepted."""
        self._wake.set()

    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="inbox-consumer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its batch and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            # Clear before claiming: a wake-up that lands during the claim is not lost.
            self._wake.clear()
            try:
                handled = self.run_once()
                self._maybe_purge()
            except Exception as exc:  # the thread must outlive a store outage
                # The class only: store errors quote statement parameters (lead data).
                log.error("inbox consumer round failed (%s); retrying", type(exc).__name__)
                handled = 0
            if handled == 0:
                self._wake.wait(self.poll_interval)
            elif handled < self.batch_size:
                # Busy but not backlogged: let a few more arrive so each round (two commits)
                # carries a batch, instead of paying a round per event under steady load.
                self._stop.wait(self.linger)

    def run_once(self) -> int:
        """Claim one batch, process it and record the outcomes.

        Returns:
            How many events were claimed.
        """
        events = inbox.claim_batch(self.factory, self.batch_size, self.worker, now=self.clock())
        if not events:
            return 0
        try:
            outcomes = {o.id: o for o in self.processor.process(events)}
        except Exception as exc:  # a crashing processor fails the batch, not the thread
            log.exception("inbox processor raised on a batch of %d", len(events))
            error = f"processor raised {type(exc).__name__}"
            outcomes = {e.id: ProcessOutcome(e.id, ok=False, error=error) for e in events}
        self._record(events, outcomes)
        return len(events)

    def _record(self, events: list[InboxEvent], outcomes: dict[int, ProcessOutcome]) -> None:
        done = [e for e in events if (o := outcomes.get(e.id)) is not None and o.ok]
        now = self.clock()
        inbox.mark_done(self.factory, [e.id for e in done], now=now)
        for event in done:
            self.metrics.inc("processed", source=event.source)
            self.metrics.observe_latency(max(0.0, (now - event.received_at).total_seconds()))
        for event in events:
            outcome = outcomes.get(event.id)
            if outcome is not None and outcome.ok:
                continue
            error = (outcome.error if outcome else None) or "processor returned no outcome"
            retryable = outcome.retryable if outcome else True
            status = inbox.mark_failed(
                self.factory,
                event.id,
                error,
                retryable=retryable,
                max_attempts=self.max_attempts,
                now=now,
            )
            self.metrics.inc(
                "failed", source=event.source, final=str(status == inbox.FAILED).lower()
            )

    def _maybe_purge(self) -> None:
        if time.monotonic() - self._last_purge < 3600:
            return
        self._last_purge = time.monotonic()
        purged = inbox.purge_older_than(self.factory, self.retention_days, now=self.clock())
        if purged:
            log.info("purged %d finished webhook events", purged)
