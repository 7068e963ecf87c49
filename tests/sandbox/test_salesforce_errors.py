from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from leadsync.sandbox.clients import salesforce_client, sandbox_session
from leadsync.sandbox.runtime import FaultKind, RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox

LEAD = {"LastName": "Fault", "Company": "Co"}


@pytest.mark.parametrize(
    ("kind", "exc", "status", "code"),
    [
        (FaultKind.RATE_LIMIT, SalesforceRefusedRequest, 403, "REQUEST_LIMIT_EXCEEDED"),
        (FaultKind.UNAVAILABLE, SalesforceGeneralError, 503, "SERVER_UNAVAILABLE"),
        (FaultKind.SESSION_EXPIRED, SalesforceExpiredSession, 401, "INVALID_SESSION_ID"),
    ],
    ids=["rate-limit", "unavailable", "session-expired"],
)
def test_faults_surface_as_sdk_exceptions(
    sf: Any, sf_sandbox: SalesforceSandbox, kind: FaultKind, exc: type[Exception], status: int,
    code: str,
) -> None:  # fmt: skip
    sf_sandbox.faults.fail_next(1, kind)
    with pytest.raises(exc) as info:
        sf.Lead.create(LEAD)
    assert info.value.status == status  # type: ignore[attr-defined]
    assert info.value.content[0]["errorCode"] == code  # type: ignore[attr-defined]
    assert sf_sandbox.count("Lead") == 0


def test_session_expired_fault_invalidates_the_token(
    sf: Any, sf_server: RunningServer, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.faults.fail_next(1, FaultKind.SESSION_EXPIRED)
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")
    fresh = salesforce_client(sf_server)
    assert fresh.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_drop_and_timeout_faults_break_the_connection(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.faults.fail_next(1, FaultKind.DROP)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Lead.create(LEAD)
    sf_sandbox.faults.fail_next(1, FaultKind.TIMEOUT, retry_after=0.5)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Lead.create(LEAD)
    assert sf.Lead.create(LEAD)["success"] is True


def test_rate_limit_answer_carries_retry_after(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.faults.fail_next(1, FaultKind.RATE_LIMIT, retry_after=7)
    http = sandbox_session(sf_server)
    resp = http.get(f"{sf_server.base_url}/services/data/v60.0/limits",
                    headers={"Authorization": f"Bearer {sf_sandbox.session_id}"})  # fmt: skip
    assert (resp.status_code, resp.headers["Retry-After"]) == (403, "7")
    assert resp.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_daily_limit_refuses_requests_once_spent(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.daily_limit = sf_sandbox.api_usage + 2
    sf.Lead.create(LEAD)
    sf.Lead.create(LEAD)
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.Lead.create(LEAD)
    assert info.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert sf_sandbox.count("Lead") == 2


def test_bad_token_is_invalid_session(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox
) -> None:
    sf = Salesforce(
        instance_url=sf_server.base_url, session_id="00Dbogus!token",
        session=sandbox_session(sf_server), version="60.0",
    )  # fmt: skip
    with pytest.raises(SalesforceExpiredSession):
        sf.Lead.create(LEAD)


def _token(server: RunningServer, form: dict[str, str]) -> requests.Response:
    return sandbox_session(server).post(f"{server.base_url}/services/oauth2/token", data=form)


def _jwt(sub: str, exp: float) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'RS256'})}.{b64({'iss': 'cid', 'sub': sub, 'aud': 'x', 'exp': exp})}.sig"


def test_oauth_grants(sf_server: RunningServer, sf_sandbox: SalesforceSandbox) -> None:
    password = _token(sf_server, {"grant_type": "password", "username": sf_sandbox.username,
                                  "password": "sandbox"}).json()  # fmt: skip
    assert password["instance_url"] == sf_server.base_url
    assert sf_sandbox.user_for_token(password["access_token"]) == sf_sandbox.admin_user_id
    refreshed = _token(sf_server, {"grant_type": "refresh_token",
                                   "refresh_token": password["refresh_token"]}).json()  # fmt: skip
    assert refreshed["access_token"] != password["access_token"]
    assert sf_sandbox.user_for_token(refreshed["access_token"]) == sf_sandbox.admin_user_id
    jwt_form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}
    ok = _token(sf_server, {**jwt_form, "assertion": _jwt(sf_sandbox.username, time.time() + 60)})
    assert sf_sandbox.user_for_token(ok.json()["access_token"]) == sf_sandbox.admin_user_id


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "admin@leadsync.example", "password": "no"},
         "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
          "assertion": _jwt("admin@leadsync.example", time.time() - 10)}, "invalid_grant"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
          "assertion": _jwt("ghost@x.com", time.time() + 60)}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
    ],
    ids=["bad-password", "bad-refresh", "expired-jwt", "unknown-jwt-user", "unsupported"],
)  # fmt: skip
def test_oauth_rejections(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, form: dict[str, str], error: str
) -> None:
    resp = _token(sf_server, form)
    assert (resp.status_code, resp.json()["error"]) == (400, error)


def test_control_endpoints_drive_faults_and_report_calls(
    sf: Any, sf_server: RunningServer, sf_sandbox: SalesforceSandbox
) -> None:
    http = sandbox_session(sf_server)
    base = f"{sf_server.base_url}/__sandbox__"
    spec = {"fail_next": {"n": 1, "kind": "unavailable"}}
    assert http.post(f"{base}/faults", json=spec).json() == {"pending": 1}
    with pytest.raises(SalesforceGeneralError):
        sf.Lead.create(LEAD)
    sf.Lead.create(LEAD)
    calls = http.get(f"{base}/calls").json()
    assert calls["endpoints"]["create.Lead"] == {"calls": 1, "records": 1}
    assert http.post(f"{base}/faults", json={"fail_next": {"kind": "bogus"}}).status_code == 400
    assert http.post(f"{base}/settings", json={"daily_limit": 0}).json()["daily_limit"] == 0
    with pytest.raises(SalesforceRefusedRequest):
        sf.Lead.create(LEAD)
    assert http.post(f"{base}/reset").status_code == 200
    assert sf_sandbox.count("Lead") == 0


def test_versions_listing_and_unknown_version(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox
) -> None:
    http = sandbox_session(sf_server)
    versions = http.get(f"{sf_server.base_url}/services/data/").json()
    assert {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"} in versions
    headers = {"Authorization": f"Bearer {sf_sandbox.session_id}"}
    resp = http.get(f"{sf_server.base_url}/services/data/v20.0/limits", headers=headers)
    assert resp.status_code == 404
    resp = http.get(f"{sf_server.base_url}/services/data/v60.0/limits", headers=headers)
    assert resp.headers["Sforce-Limit-Info"] == f"api-usage={sf_sandbox.api_usage}/15000"
