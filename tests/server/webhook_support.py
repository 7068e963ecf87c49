"""Shared helpers of the webhook server tests: settings, signers and a fake processor."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

from pydantic import SecretStr

from leadsync.server import ProcessOutcome, ServerSettings, WebhookSourceConfig
from leadsync.server.settings import standard_key
from leadsync.server.signatures import sign_hmac, sign_hubspot_v3, sign_standard
from leadsync.store.models import InboxEvent

OLD_STD = "whsec_" + base64.b64encode(b"old-standard-webhooks-key-32byte").decode()
NEW_STD = "whsec_" + base64.b64encode(b"new-standard-webhooks-key-32byte").decode()
HUBSPOT_SECRET = "hubspot-client-secret-0000"
FORM_SECRET = "form-shared-secret"
FORM_HEADER = "X-Form-Signature"
LEAD = {"email": "ann@example.com", "firstname": "Ann"}


def make_settings(**overrides: Any) -> ServerSettings:
    sources = [
        WebhookSourceConfig(
            name="std", scheme="standard", secrets=[SecretStr(OLD_STD), SecretStr(NEW_STD)]
        ),
        WebhookSourceConfig(
            name="hubspot", scheme="hubspot_v3", secrets=[SecretStr(HUBSPOT_SECRET)]
        ),
        WebhookSourceConfig(
            name="hubspot-events",
            scheme="hubspot_v3",
            secrets=[SecretStr(HUBSPOT_SECRET)],
            require_lead=False,
        ),
        WebhookSourceConfig(
            name="forms",
            scheme="hmac",
            secrets=[SecretStr(FORM_SECRET)],
            header=FORM_HEADER,
            max_body_bytes=2048,
        ),
    ]
    return ServerSettings(sources=sources, **overrides)


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def std_headers(
    body: bytes, *, msg_id: str = "msg_1", at: float | None = None, secret: str = NEW_STD
) -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign_standard(standard_key(secret), msg_id, stamp, body),
    }


def hubspot_headers(
    body: bytes, uri: str, *, at: float | None = None, secret: str = HUBSPOT_SECRET
) -> dict[str, str]:
    stamp = str(int((time.time() if at is None else at) * 1000))
    return {
        "content-type": "application/json",
        "x-hubspot-request-timestamp": stamp,
        "x-hubspot-signature-v3": sign_hubspot_v3(secret.encode(), "POST", uri, body, stamp),
    }


def form_headers(body: bytes, *, secret: str = FORM_SECRET) -> dict[str, str]:
    return {"content-type": "application/json", FORM_HEADER: sign_hmac(secret.encode(), body)}


class FakeProcessor:
    """Records every event it sees; fails the event ids in ``fail`` (retryably)."""

    def __init__(self, fail: set[str] | None = None, *, raise_error: bool = False) -> None:
        self.fail = fail or set()
        self.raise_error = raise_error
        self.seen: list[str] = []
        self.batches: list[int] = []
        self.processed = threading.Event()
        self._lock = threading.Lock()

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        with self._lock:
            self.seen.extend(e.event_id for e in events)
            self.batches.append(len(events))
        self.processed.set()
        if self.raise_error:
            raise RuntimeError("processor exploded")
        return [
            ProcessOutcome(e.id, ok=False, error="told to fail")
            if e.event_id in self.fail
            else ProcessOutcome(e.id, ok=True)
            for e in events
        ]


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
