"""The receiver over HTTP: acceptance, duplicates and every refusal, on both store backends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from webhook_support import (
    LEAD,
    OLD_STD,
    body_of,
    form_headers,
    hubspot_headers,
    make_settings,
    std_headers,
)

from leadsync.server import create_app
from leadsync.store.engine import make_engine
from leadsync.store.models import InboxEvent

HS_URI = "http://testserver/hooks/hubspot"


def _rows(engine: Engine) -> list[InboxEvent]:
    with engine.connect() as connection:
        return list(connection.execute(select(InboxEvent)).all())  # type: ignore[arg-type]


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(InboxEvent)).scalar_one())


@pytest.mark.parametrize(
    ("path", "make_headers", "expected_id"),
    [
        ("/hooks/std", lambda b: std_headers(b, msg_id="msg_std_1"), "msg_std_1"),
        ("/hooks/std", lambda b: std_headers(b, msg_id="msg_old", secret=OLD_STD), "msg_old"),
        ("/hooks/hubspot", lambda b: hubspot_headers(b, HS_URI), None),
        ("/hooks/forms", form_headers, None),
    ],
    ids=["standard", "standard-rotated-old-secret", "hubspot-v3", "hmac"],
)
def test_valid_delivery_is_persisted_then_acknowledged(
    client: TestClient,
    engine: Engine,
    path: str,
    make_headers: Callable[[bytes], dict[str, str]],
    expected_id: str | None,
) -> None:
    body = body_of(LEAD)
    answer = client.post(path, content=body, headers=make_headers(body))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    rows = _rows(engine)
    assert len(rows) == 1
    assert rows[0].source == path.rsplit("/", 1)[1]
    assert rows[0].body == body.decode()
    assert rows[0].status == "pending"
    assert answer.json()["event_id"] == (expected_id or rows[0].event_id)
    if expected_id is None:
        assert rows[0].event_id.startswith("sha256:")


def test_repeated_delivery_answers_200_and_stores_nothing_new(
    client: TestClient, engine: Engine
) -> None:
    body = body_of(LEAD)
    first = client.post("/hooks/std", content=body, headers=std_headers(body, msg_id="m1"))
    # A retry re-signs with a fresh timestamp but keeps the id.
    again = client.post(
        "/hooks/std", content=body, headers=std_headers(body, msg_id="m1", at=time.time() + 2)
    )
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "duplicate", "event_id": "m1"}
    assert _count(engine) == 1


def test_hubspot_event_ids_identify_change_notifications(
    client: TestClient, engine: Engine
) -> None:
    events = [{"eventId": 7, "objectId": 1}, {"eventId": 3, "objectId": 2}]
    uri = "http://testserver/hooks/hubspot-events"
    first = body_of(events)
    reordered = body_of(list(reversed(events)))
    a = client.post("/hooks/hubspot-events", content=first, headers=hubspot_headers(first, uri))
    b = client.post(
        "/hooks/hubspot-events", content=reordered, headers=hubspot_headers(reordered, uri)
    )
    assert (a.status_code, b.status_code) == (202, 200)
    assert a.json()["event_id"] == "hubspot:3,7"
    assert _count(engine) == 1


def _std(body: bytes, **kw: Any) -> dict[str, str]:
    return std_headers(body, **kw)


REFUSALS: list[tuple[str, str, bytes, Callable[[bytes], dict[str, str]], int, str]] = [
    ("unknown-source", "/hooks/nope", body_of(LEAD), _std, 404, "unknown_source"),
    (
        "bad-signature",
        "/hooks/std",
        body_of(LEAD),
        lambda b: {**_std(b), "webhook-signature": "v1,AAAA"},
        401,
        "bad_signature",
    ),
    (
        "tampered-body",
        "/hooks/std",
        body_of(LEAD),
        lambda b: _std(b.replace(b"Ann", b"Bob")),
        401,
        "bad_signature",
    ),
    (
        "reserialised-json",
        "/hooks/std",
        b'{"email":"ann@example.com","firstname":"Ann"}',
        lambda b: _std(body_of(LEAD)),
        401,
        "bad_signature",
    ),
    (
        "missing-headers",
        "/hooks/std",
        body_of(LEAD),
        lambda b: {"content-type": "application/json"},
        401,
        "missing_headers",
    ),
    (
        "stale",
        "/hooks/std",
        body_of(LEAD),
        lambda b: _std(b, at=time.time() - 400),
        401,
        "stale_timestamp",
    ),
    (
        "future",
        "/hooks/std",
        body_of(LEAD),
        lambda b: _std(b, at=time.time() + 400),
        401,
        "stale_timestamp",
    ),
    (
        "hubspot-stale",
        "/hooks/hubspot",
        body_of(LEAD),
        lambda b: hubspot_headers(b, HS_URI, at=time.time() - 400),
        401,
        "stale_timestamp",
    ),
    (
        "hubspot-wrong-uri",
        "/hooks/hubspot",
        body_of(LEAD),
        lambda b: hubspot_headers(b, "http://testserver/hooks/other"),
        401,
        "bad_signature",
    ),
    (
        "hmac-wrong-secret",
        "/hooks/forms",
        body_of(LEAD),
        lambda b: form_headers(b, secret="guess"),
        401,
        "bad_signature",
    ),
    ("malformed-json", "/hooks/std", b'{"email": "ann@example.com",', _std, 400, "bad_json"),
    ("nan", "/hooks/std", b'{"email": "ann@example.com", "score": NaN}', _std, 400, "bad_json"),
    (
        "huge-integer",
        "/hooks/std",
        b'{"email": "ann@example.com", "n": ' + b"9" * 5000 + b"}",
        _std,
        400,
        "bad_json",
    ),
    ("not-utf8", "/hooks/std", b'{"email": "\xff"}', _std, 400, "bad_json"),
    ("not-an-object", "/hooks/std", b'["ann@example.com"]', _std, 422, "no_lead"),
    ("no-email-no-phone", "/hooks/std", body_of({"firstname": "Ann"}), _std, 422, "no_lead"),
    (
        "invalid-email-only",
        "/hooks/std",
        body_of({"email": "not-an-address"}),
        _std,
        422,
        "no_lead",
    ),
    (
        "wrong-content-type",
        "/hooks/std",
        body_of(LEAD),
        lambda b: {**_std(b), "content-type": "text/plain"},
        415,
        "content_type",
    ),
    (
        "too-large",
        "/hooks/forms",
        body_of({**LEAD, "notes": "x" * 3000}),
        form_headers,
        413,
        "too_large",
    ),
    (
        "too-long-event-id",
        "/hooks/std",
        body_of(LEAD),
        lambda b: _std(b, msg_id="m" * 300),
        400,
        "bad_event_id",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "make_headers", "status", "reason"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_refusals_have_no_side_effect(
    client: TestClient,
    engine: Engine,
    path: str,
    body: bytes,
    make_headers: Callable[[bytes], dict[str, str]],
    status: int,
    reason: str,
) -> None:
    answer = client.post(path, content=body, headers=make_headers(body))
    assert answer.status_code == status, answer.text
    assert answer.json()["reason"] == reason
    assert _count(engine) == 0
    metrics = client.get("/metrics").text
    assert f'reason="{reason}"' in metrics


def test_phone_only_lead_is_accepted(client: TestClient, engine: Engine) -> None:
    body = body_of({"fields": [{"name": "phone", "value": "+1 415 555 2671"}]})
    answer = client.post("/hooks/forms", content=body, headers=form_headers(body))
    assert answer.status_code == 202, answer.text
    assert _count(engine) == 1


def test_chunked_body_over_the_limit_is_refused(client: TestClient, engine: Engine) -> None:
    body = body_of({**LEAD, "notes": "x" * 3000})

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    # A generator body is sent chunked: no Content-Length to refuse it early.
    answer = client.post("/hooks/forms", content=chunks(), headers=form_headers(body))
    assert answer.status_code == 413
    assert _count(engine) == 0


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    body = body_of(LEAD)
    client.post("/hooks/std", content=body, headers=std_headers(body, msg_id="m-metrics"))
    text = client.get("/metrics").text
    assert 'leadsync_webhook_received_total{source="std"} 1' in text
    assert 'leadsync_webhook_accepted_total{source="std"} 1' in text
    assert "leadsync_webhook_end_to_end_latency_seconds_count 0" in text


def test_readyz_is_503_when_the_store_is_unreachable(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/store.db")
    with TestClient(create_app(make_settings(), engine=engine)) as test_client:
        answer = test_client.get("/readyz")
        assert answer.status_code == 503
        assert "store unreachable" in answer.json()["problems"]
        body = body_of(LEAD)
        stored = test_client.post("/hooks/std", content=body, headers=std_headers(body))
        assert stored.status_code == 503
        assert stored.headers["retry-after"] == "5"
