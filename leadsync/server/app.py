"""The webhook receiver: FastAPI app factory, its routes and the uvicorn runner.

A delivery is answered only after its raw event is committed to the inbox (persist, then
acknowledge): 202 for a new event, 200 for a repeat of a known event id. Every refusal
(401, 400, 404, 413, 415, 422) happens before anything is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from leadsync.server.consumer import InboxConsumer, InboxProcessor
from leadsync.server.intake import BadPayload
from leadsync.server.metrics import Metrics
from leadsync.server.receive import (
    check_content_type,
    check_declared_length,
    event_of,
    read_body,
    verify_request,
)
from leadsync.server.settings import ServerSettings
from leadsync.server.signatures import SignatureError
from leadsync.server.writer import InboxWriter
from leadsync.store.engine import session_factory

log = logging.getLogger(__name__)


class WebhookReceiver:
    """The ``POST /hooks/{source}`` handler: check, persist, then acknowledge."""

    def __init__(
        self,
        settings: ServerSettings,
        metrics: Metrics,
        writer: InboxWriter,
        consumer: InboxConsumer | None,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.writer = writer
        self.consumer = consumer
        self.clock = clock

    async def receive(self, request: Request) -> Response:
        """Answer one delivery (see the module docstring for the statuses)."""
        source = str(request.path_params["source"])
        config = self.settings.source(source)
        if config is None:
            return self._refuse(404, "unknown_source", "no such webhook source", "unknown")
        self.metrics.inc("received", source=source)
        received_at = datetime.fromtimestamp(self.clock(), UTC)
        try:
            check_declared_length(request, config.max_body_bytes)
            check_content_type(request)
            body = await read_body(request, config.max_body_bytes)
            sender_id = verify_request(config, request, body, now=received_at.timestamp())
            event_id, stored = event_of(config, body, sender_id, received_at=received_at)
        except SignatureError as exc:
            return self._refuse(401, exc.reason, "signature verification failed", source)
        except BadPayload as exc:
            return self._refuse(exc.status, exc.reason, exc.detail, source)
        return await self._store(source, event_id, stored, received_at)

    async def _store(
        self, source: str, event_id: str, stored: str, received_at: datetime
    ) -> Response:
        try:
            new = await self.writer.accept(source, event_id, stored, received_at)
        except SQLAlchemyError as exc:
            # The class only: SQLAlchemy's message quotes statement parameters (lead data).
            log.error("could not store a webhook event from %s: %s", source, type(exc).__name__)
            self.metrics.inc("store_errors", source=source)
            body = {"status": "unavailable", "detail": "store unavailable, retry later"}
            return JSONResponse(body, 503, headers={"Retry-After": "5"})
        if not new:
            self.metrics.inc("duplicate", source=source)
            return JSONResponse({"status": "duplicate", "event_id": event_id}, 200)
        self.metrics.inc("accepted", source=source)
        if self.consumer is not None:
            self.consumer.wake()
        return JSONResponse({"status": "accepted", "event_id": event_id}, 202)

    def _refuse(self, status: int, reason: str, detail: str, source: str) -> JSONResponse:
        self.metrics.inc("rejected", source=source, reason=reason)
        return JSONResponse({"status": "rejected", "reason": reason, "detail": detail}, status)


def create_app(
    settings: ServerSettings,
    *,
    engine: Engine,
    processor: InboxProcessor | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Build the webhook app over a migrated store.

    Args:
        settings: The server section (sources, batch size, retention).
        engine: The store's engine (already migrated).
        processor: Handles accepted events in a background thread; without one, events
            stay pending for another process to consume.
        clock: Unix seconds, for signature timestamps and ``received_at``.

    Returns:
        The app; ``app.state.metrics`` and ``app.state.consumer`` are its live parts.
    """
    factory = session_factory(engine)
    metrics = Metrics()
    writer = InboxWriter(factory)
    consumer = None
    if processor is not None:
        consumer = InboxConsumer(
            factory,
            processor,
            metrics,
            batch_size=settings.batch_size,
            retention_days=settings.retention_days,
            clock=lambda: datetime.fromtimestamp(clock(), UTC),
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if consumer is not None:
            consumer.start()
        try:
            yield
        finally:
            await run_in_threadpool(writer.stop)
            if consumer is not None:
                await run_in_threadpool(consumer.stop)

    app = FastAPI(title="leadsync webhooks", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.metrics = metrics
    app.state.consumer = consumer
    # A plain Starlette route: the handler reads the raw body itself (signatures need the
    # exact bytes) and wants none of FastAPI's parameter parsing.
    receiver = WebhookReceiver(settings, metrics, writer, consumer, clock)
    app.router.add_route("/hooks/{source}", receiver.receive, methods=["POST"])
    _add_probes(app, engine, consumer, metrics)
    return app


def _add_probes(
    app: FastAPI, engine: Engine, consumer: InboxConsumer | None, metrics: Metrics
) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        problems = await run_in_threadpool(_readiness_problems, engine, consumer)
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, 503)
        return JSONResponse({"status": "ready"}, 200)

    @app.get("/metrics")
    async def metrics_text() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")


def _readiness_problems(engine: Engine, consumer: InboxConsumer | None) -> list[str]:
    problems: list[str] = []
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        problems.append("store unreachable")
    if consumer is not None and not consumer.alive():
        problems.append("inbox consumer not running")
    return problems


def run_server(
    settings: ServerSettings,
    *,
    engine: Engine,
    processor: InboxProcessor | None = None,
    host: str | None = None,
    port: int | None = None,
    **uvicorn_options: Any,
) -> None:
    """Serve the webhook app with uvicorn until interrupted.

    Args:
        settings: The server section.
        engine: The store's engine (already migrated).
        processor: The sync engine's inbox processor.
        host: Overrides ``settings.host``.
        port: Overrides ``settings.port``.
        **uvicorn_options: Passed to :class:`uvicorn.Config` (e.g. ``log_level``).
    """
    import uvicorn

    app = create_app(settings, engine=engine, processor=processor)
    uvicorn_options.setdefault("log_level", "warning")
    uvicorn_options.setdefault("access_log", False)
    config = uvicorn.Config(
        app,
        host=host or settings.host,
        port=settings.port if port is None else port,
        **uvicorn_options,
    )
    uvicorn.Server(config).run()
