"""The demo's burst of signed web-form webhooks through the real receiver and inbox."""

from __future__ import annotations

import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.sandbox.runtime import serve
from leadsync.server.app import create_app
from leadsync.server.settings import ServerSettings, WebhookSourceConfig, standard_key
from leadsync.server.signatures import sign_standard
from leadsync.store.models import InboxEvent
from leadsync.sync.inbox import InboxPipeline
from leadsync.sync.wiring import Wiring

DEMO_SECRET = "whsec_" + base64.b64encode(b"leadsync-demo-webhook-secret!!").decode()


def send_burst(
    wiring: Wiring,
    factory: sessionmaker[Session],
    engine: Engine,
    payloads: list[dict[str, Any]],
    *,
    job: str,
    source: str = "website",
) -> dict[str, int]:
    """Serve the webhook receiver, POST ``payloads`` concurrently (plus redeliveries), wait.

    Returns:
        Counts: sent, accepted (202), duplicates (200), processed, failed.
    """
    config = WebhookSourceConfig(name=source, scheme="standard", secrets=[DEMO_SECRET])
    settings = ServerSettings(sources=[config], port=0, batch_size=50)
    processor = InboxPipeline(wiring, factory, job)
    key = standard_key(DEMO_SECRET)
    app = create_app(settings, engine=engine, processor=processor)
    server = serve(app, tls=False)
    # The sandbox runner serves without ASGI lifespan, so start the consumer here.
    app.state.consumer.start()
    try:
        url = f"{server.base_url}/hooks/{source}"
        deliveries = [(str(uuid.uuid4()), p) for p in payloads]
        deliveries += deliveries[:3]  # senders retry: the same ids again
        with requests.Session() as http, ThreadPoolExecutor(8) as pool:
            http.trust_env = False
            statuses = list(pool.map(lambda d: _post(http, url, key, *d), deliveries))
        counts = {
            "sent": len(deliveries),
            "accepted": statuses.count(202),
            "duplicates": statuses.count(200),
        }
        counts.update(_wait_processed(factory, timeout=30.0))
        return counts
    finally:
        app.state.consumer.stop()
        server.stop()


def _post(
    http: requests.Session, url: str, key: bytes, msg_id: str, payload: dict[str, Any]
) -> int:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign_standard(key, msg_id, stamp, body),
    }
    return http.post(url, data=body, headers=headers, timeout=30).status_code


def _wait_processed(factory: sessionmaker[Session], *, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        with factory() as session:
            counts = dict(
                session.execute(
                    select(InboxEvent.status, func.count()).group_by(InboxEvent.status)
                ).all()
            )
        settled = counts.get("done", 0) + counts.get("failed", 0)
        if settled == sum(counts.values()) or time.monotonic() > deadline:
            return {
                "processed": counts.get("done", 0),
                "failed": counts.get("failed", 0),
                "pending": sum(counts.values()) - settled,
            }
        time.sleep(0.1)
