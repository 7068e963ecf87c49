"""Faults, auth, rate limits, rate-limit headers, call accounting and control endpoints."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import hubspot
import pytest
import urllib3
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox, hubspot_client
from leadsync.sandbox.hubspot.sandbox import HubSpotSettings, RateLimiter
from leadsync.sandbox.runtime import FaultKind, RunningServer


def _create(client: Any, email: str) -> Any:
    body = SimplePublicObjectInputForCreate(properties={"email": email})
    return client.crm.contacts.basic_api.create(body)


@pytest.mark.parametrize(
    ("kind", "status", "category"),
    [
        (FaultKind.RATE_LIMIT, 429, "RATE_LIMITS"),
        (FaultKind.UNAVAILABLE, 503, "SERVICE_UNAVAILABLE"),
        (FaultKind.SESSION_EXPIRED, 401, "INVALID_AUTHENTICATION"),
    ],
    ids=["rate-limit", "unavailable", "session-expired"],
)
def test_injected_fault_then_recovery(
    hs_client: Any, hs_sandbox: HubSpotSandbox, kind: FaultKind, status: int, category: str
) -> None:
    hs_sandbox.faults.fail_next(1, kind, retry_after=3)
    with pytest.raises(ApiException) as caught:
        _create(hs_client, "f@x.io")
    assert caught.value.status == status
    assert json.loads(caught.value.body)["category"] == category
    assert _create(hs_client, "f@x.io").properties["email"] == "f@x.io"


def test_injected_429_carries_retry_after_and_hubspot_body(
    hs_client: Any, hs_sandbox: HubSpotSandbox
) -> None:
    hs_sandbox.faults.fail_next(1, FaultKind.RATE_LIMIT, retry_after=2.5)
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.basic_api.get_page()
    headers = caught.value.headers
    assert headers["Retry-After"] == "3"  # whole seconds, rounded up
    assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
    body = json.loads(caught.value.body)
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")


def test_sdk_default_retry_silently_resends_get_on_429(
    hs_server: RunningServer, hs_sandbox: HubSpotSandbox
) -> None:
    # hubspot-api-client keeps urllib3's Retry(3): a GET answered 429 + Retry-After is re-sent.
    client = hubspot.Client.create(
        access_token=DEFAULT_TOKEN, host=hs_server.base_url, ssl_ca_cert=hs_server.ca_path
    )
    hs_sandbox.faults.fail_next(1, FaultKind.RATE_LIMIT, retry_after=1)
    assert client.crm.contacts.basic_api.get_page().results == []
    assert hs_sandbox.calls.calls("GET /crm/v3/objects/contacts") == 2


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.TIMEOUT], ids=["drop", "timeout"])
def test_connection_faults_surface_as_urllib3_errors(
    hs_client: Any, hs_sandbox: HubSpotSandbox, kind: FaultKind
) -> None:
    hs_sandbox.faults.fail_next(1, kind, retry_after=0.6)
    with pytest.raises(urllib3.exceptions.HTTPError):
        hs_client.crm.contacts.basic_api.get_page(_request_timeout=0.3)
    deadline = time.monotonic() + 5
    while not hs_sandbox.calls.calls() and time.monotonic() < deadline:
        time.sleep(0.02)  # the held request is logged once the server gives up on it
    assert hs_sandbox.calls.calls("GET /crm/v3/objects/contacts") == 1
    assert hs_client.crm.contacts.basic_api.get_page().results == []


def test_random_faults_are_reproducible_by_seed(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    def pattern() -> list[int]:
        hs_sandbox.faults.set_random(0.4, seed=7, kinds=[FaultKind.UNAVAILABLE])
        statuses = []
        for _ in range(15):
            try:
                statuses.append(hs_client.crm.contacts.basic_api.get_page_with_http_info()[1])
            except ApiException as exc:
                statuses.append(exc.status)
        return statuses

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 503}


@pytest.mark.parametrize(
    ("token", "expired"), [("wrong-token", False), (None, True)], ids=["unknown", "expired"]
)
def test_bad_or_expired_token_is_401(
    hs_server: RunningServer, hs_sandbox: HubSpotSandbox, token: str | None, expired: bool
) -> None:
    if expired:
        hs_sandbox.expire_token(DEFAULT_TOKEN)
    client = hubspot_client(hs_server, access_token=token or DEFAULT_TOKEN)
    with pytest.raises(ApiException) as caught:
        client.crm.contacts.basic_api.get_page()
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["category"]) == (401, "INVALID_AUTHENTICATION")
    assert ("expired" in body["message"]) is expired
    assert (token or DEFAULT_TOKEN) not in caught.value.body


def test_rate_limit_window_enforced(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    hs_sandbox.settings.rate_limit_enabled = True
    hs_sandbox.settings.window_max = 3
    api = hs_client.crm.contacts.basic_api
    remaining = [
        api.get_page_with_http_info()[2]["X-HubSpot-RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(ApiException) as caught:
        api.get_page()
    assert caught.value.status == 429
    assert int(caught.value.headers["Retry-After"]) >= 1
    assert caught.value.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert json.loads(caught.value.body)["category"] == "RATE_LIMITS"


def test_rate_limiter_window_rolls() -> None:
    now = [100.0]
    limiter = RateLimiter(HubSpotSettings(True, window_max=2, window_ms=10_000), lambda: now[0])
    assert [limiter.acquire().allowed for _ in range(3)] == [True, True, False]
    refused = limiter.acquire()
    assert refused.retry_after == pytest.approx(10.0)
    now[0] += 10.001
    assert limiter.acquire().allowed


def test_daily_allowance_exhausted_is_daily_policy(
    hs_client: Any, hs_sandbox: HubSpotSandbox
) -> None:
    hs_sandbox.settings.rate_limit_enabled = True
    hs_sandbox.settings.daily_max = 2
    for _ in range(2):
        hs_client.crm.contacts.basic_api.get_page()
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.basic_api.get_page()
    assert caught.value.status == 429
    assert json.loads(caught.value.body)["policyName"] == "DAILY"
    assert caught.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_search_has_its_own_per_second_limit(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    hs_sandbox.settings.rate_limit_enabled = True
    hs_sandbox.settings.search_per_second = 2
    search = hs_client.crm.contacts.search_api
    for _ in range(2):
        search.do_search(PublicObjectSearchRequest(limit=1))
    with pytest.raises(ApiException) as caught:
        search.do_search(PublicObjectSearchRequest(limit=1))
    assert caught.value.status == 429
    assert json.loads(caught.value.body)["policyName"] == "SECONDLY"
    assert hs_client.crm.contacts.basic_api.get_page().results == []  # other calls still pass


def test_plain_http_serving() -> None:
    sandbox = HubSpotSandbox()
    with sandbox.serve(tls=False) as server:
        assert server.base_url.startswith("http://")
        assert server.ca_path is None
        client = hubspot_client(server)
        made = _create(client, "plain@x.io")
        assert client.crm.contacts.basic_api.get_by_id(made.id).id == made.id


def test_rate_limit_headers_on_normal_answers(hs_client: Any) -> None:
    _, status, headers = hs_client.crm.contacts.basic_api.get_page_with_http_info()
    assert status == 200
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) < int(
        headers["X-HubSpot-RateLimit-Daily"]
    )
    _, _, search_headers = hs_client.crm.contacts.search_api.do_search_with_http_info(
        PublicObjectSearchRequest(limit=1)
    )
    assert "X-HubSpot-RateLimit-Max" not in search_headers  # as HubSpot's search documents


def test_call_log_counts_calls_and_records(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    _create(hs_client, "one@x.io")
    inputs = [{"properties": {"email": f"b{i}@x.io"}} for i in range(3)]
    hs_client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )
    hs_client.crm.contacts.basic_api.get_by_id("101")
    hs_client.crm.companies.basic_api.get_page()
    assert hs_sandbox.calls.snapshot() == {
        "POST /crm/v3/objects/contacts": (1, 1),
        "POST /crm/v3/objects/contacts/batch/create": (1, 3),
        "GET /crm/v3/objects/contacts/{object_id}": (1, 1),
        "GET /crm/v3/objects/companies": (1, 0),
    }


def test_control_endpoints(
    hs_client: Any, hs_http: httpx.Client, hs_sandbox: HubSpotSandbox
) -> None:
    _create(hs_client, "c@x.io")
    calls = hs_http.get("/__sandbox__/calls").json()
    assert calls["endpoints"] == {"POST /crm/v3/objects/contacts": {"calls": 1, "records": 1}}
    spec = {"fail_next": {"n": 1, "kind": "unavailable"}}
    assert hs_http.post("/__sandbox__/faults", json=spec).status_code == 204
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.basic_api.get_page()
    assert caught.value.status == 503
    settings = hs_http.post("/__sandbox__/settings", json={"window_max": 100}).json()
    assert settings["window_max"] == 100 == hs_sandbox.settings.window_max
    assert hs_http.get("/__sandbox__/state").json()["objects"]["contacts"] == 1
    assert hs_http.post("/__sandbox__/reset").status_code == 204
    assert hs_http.get("/__sandbox__/state").json()["objects"]["contacts"] == 0
    assert hs_http.get("/__sandbox__/calls").json()["total_calls"] == 0
    assert (
        hs_http.post("/__sandbox__/faults", json={"fail_next": {"kind": "nope"}}).status_code == 400
    )
