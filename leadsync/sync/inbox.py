"""The webhook path: inbox events through the same pipeline as batch syncs, right away.

One :class:`InboxPipeline` lives as long as the process consuming the inbox: its match index
stays warm, so a single lead costs one pipeline batch (map, match, merge, route, one CRM write)
and a burst is handled as one batch per claim.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from leadsync.config.project import SourceRef
from leadsync.connectors.base import Record, Source
from leadsync.connectors.forms.payloads import payload_to_record
from leadsync.errors import LeadsyncError, RejectedRecordError, RetryableError
from leadsync.server.consumer import ProcessOutcome
from leadsync.store.checkpoints import Watermark
from leadsync.store.models import InboxEvent
from leadsync.sync.batch import SourceBatch, run_batch
from leadsync.sync.context import RunContext
from leadsync.sync.refresh import refresh_all
from leadsync.sync.runner import utcnow
from leadsync.sync.setup import build_context
from leadsync.sync.wiring import Wiring


@dataclass
class InboxPipeline:
    """Process inbox events of webhook sources through a job's pipeline.

    Args:
        wiring: The project's connectors and mappings.
        factory: Store sessions.
        job_name: The job whose target, policy and routing the events follow; its sources name
            the form connectors (an event's ``source`` is the connector name).
        clock: Current time.
    """

    wiring: Wiring
    factory: sessionmaker[Session]
    job_name: str
    clock: Callable[[], datetime] = utcnow
    refresh_every: float = 30.0  # seconds between incremental pulls of the target
    _ctx: RunContext | None = None
    _refreshed_at: float = float("-inf")

    def context(self) -> RunContext:
        """The warm run context (built on first use)."""
        if self._ctx is None:
            job = self.wiring.project.job(self.job_name)
            self._ctx = build_context(
                self.wiring,
                self.factory,
                job,
                clock=self.clock,
                lease=None,
                run_id=None,
                dry_run=False,
            )
        return self._ctx

    def refresh(self, *, force: bool = False) -> None:
        """Pull the target's recent changes into the golden records (match before create)."""
        ctx = self.context()
        now = time.monotonic()
        if not force and now - self._refreshed_at < self.refresh_every:
            return
        if isinstance(ctx.target.connector, Source):
            refresh_all(ctx, ctx.target.connector)
        self._refreshed_at = now

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        """Run ``events`` through the pipeline; one outcome per event."""
        ctx = self.context()
        self.refresh()
        outcomes: dict[int, ProcessOutcome] = {}
        grouped: dict[str, list[tuple[InboxEvent, Record]]] = {}
        for event in events:
            try:
                record = self._record(event)
            except (ValueError, RejectedRecordError) as exc:
                outcomes[event.id] = ProcessOutcome(
                    event.id, ok=False, error=str(exc), retryable=False
                )
                continue
            grouped.setdefault(event.source, []).append((event, record))
        for source, items in grouped.items():
            self._run(ctx, source, items, outcomes)
        return [outcomes[e.id] for e in events]

    def _record(self, event: InboxEvent) -> Record:
        payload = json.loads(event.body)
        source = self._source(event.source)
        return payload_to_record(payload, received_at=event.received_at, object=source.object)

    def _source(self, name: str) -> SourceRef:
        job = self.wiring.project.job(self.job_name)
        for source in job.sources:
            if source.connector == name:
                return source
        raise ValueError(f"webhook source {name!r} is not a source of job {self.job_name!r}")

    def _run(
        self,
        ctx: RunContext,
        source_name: str,
        items: list[tuple[InboxEvent, Record]],
        outcomes: dict[int, ProcessOutcome],
    ) -> None:
        source = self._source(source_name)
        obj = source.object
        mapping = self.wiring.mapping(source_name, obj, source.mapping)
        records = [record for _, record in items]
        batch = SourceBatch(source_name, obj, mapping, records, Watermark(), checkpoint=False)
        try:
            run_batch(ctx, batch)
        except RetryableError as exc:
            for event, _ in items:
                outcomes[event.id] = ProcessOutcome(event.id, ok=False, error=str(exc))
            return
        except LeadsyncError as exc:
            for event, _ in items:
                outcomes[event.id] = ProcessOutcome(
                    event.id, ok=False, error=str(exc), retryable=False
                )
            return
        for event, _ in items:
            # Record-level failures are in the dead-letter queue: the event itself is handled.
            outcomes[event.id] = ProcessOutcome(event.id, ok=True)


@dataclass
class InboxDispatcher:
    """Send each inbox event to the pipeline of the job that reads its webhook source."""

    pipelines: dict[str, InboxPipeline]  # by source (connector) name

    @classmethod
    def for_project(
        cls, wiring: Wiring, factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> InboxDispatcher:
        """One pipeline per job that reads a form (webhook) connector."""
        pipelines: dict[str, InboxPipeline] = {}
        for job in wiring.project.jobs:
            for source in job.sources:
                config = wiring.project.connectors.get(source.connector)
                if config is not None and config.type == "forms":
                    pipelines.setdefault(
                        source.connector, InboxPipeline(wiring, factory, job.name, clock)
                    )
        return cls(pipelines)

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        """Route ``events`` by source; events of unknown sources fail for good."""
        outcomes: dict[int, ProcessOutcome] = {}
        by_source: dict[str, list[InboxEvent]] = {}
        for event in events:
            by_source.setdefault(event.source, []).append(event)
        for source, batch in by_source.items():
            pipeline = self.pipelines.get(source)
            if pipeline is None:
                for event in batch:
                    outcomes[event.id] = ProcessOutcome(
                        event.id,
                        ok=False,
                        retryable=False,
                        error=f"no job reads webhook source {source!r}",
                    )
                continue
            for outcome in pipeline.process(batch):
                outcomes[outcome.id] = outcome
        return [outcomes[e.id] for e in events]
