"""OAuth 2.0 token endpoint, API version list and the ``/__sandbox__`` control endpoints.

The token endpoint follows "OAuth 2.0 Username-Password Flow", "OAuth 2.0 Refresh Token Flow"
and "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration" in Salesforce Help
(POST /services/oauth2/token; errors are ``{"error", "error_description"}`` with 400).
JWT signatures are not verified (the sandbox holds no connected-app certificate); ``sub`` must
name an active user and ``exp`` must lie ahead. The password grant also returns a refresh
token so that the refresh flow can be exercised. Versions: "Versions" resource
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.runtime import FaultKind
from leadsync.sandbox.salesforce.wire import json_body, sandbox_of

router = APIRouter()
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
VERSIONS = ("58.0", "59.0", "60.0")
_RELEASES = {"58.0": "Summer '23", "59.0": "Winter '24", "60.0": "Spring '24"}


@router.get("/services/data")
@router.get("/services/data/")
async def versions(request: Request) -> JSONResponse:
    """The API versions this org offers."""
    return JSONResponse(
        [{"label": _RELEASES[v], "url": f"/services/data/v{v}", "version": v} for v in VERSIONS]
    )


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def _jwt_subject(assertion: str) -> str | None:
    try:
        payload_b64 = assertion.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or float(payload.get("exp", 0)) < time.time():
        return None
    sub = payload.get("sub")
    return sub if isinstance(sub, str) else None


def _user_for_grant(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    sandbox = sandbox_of(request)
    grant = form.get("grant_type", "")
    if grant == "password":
        return sandbox.check_password(form.get("username", ""), form.get("password", "")), None
    if grant == "refresh_token":
        token = sandbox.refresh_token(form.get("refresh_token", ""))
        return (sandbox.user_for_token(token), token) if token else (None, None)
    if grant == JWT_GRANT:
        subject = _jwt_subject(form.get("assertion", ""))
        return (sandbox.user_id_for_username(subject) if subject else None), None
    return None, None


@router.post("/services/oauth2/token")
async def token(request: Request) -> JSONResponse:
    """Password, refresh-token and JWT-bearer grants."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8")).items()}
    grant = form.get("grant_type", "")
    if grant not in ("password", "refresh_token", JWT_GRANT):
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    user_id, access = _user_for_grant(request, form)
    if user_id is None:
        return _oauth_error("invalid_grant", "authentication failure")
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"oauth.{grant.rsplit(':', 1)[-1]}")
    refresh = None
    if access is None:
        access, refresh = sandbox.issue_token(user_id)
    instance = f"{request.url.scheme}://{request.url.netloc}"
    body: dict[str, Any] = {
        "access_token": access,
        "instance_url": instance,
        "id": f"{instance}/id/00D000000000001AAA/{user_id}",
        "token_type": "Bearer",
        "issued_at": str(int(time.time() * 1000)),
        "signature": base64.b64encode(access[-16:].encode()).decode(),
        "scope": "api refresh_token",
    }
    if refresh and grant == "password":
        body["refresh_token"] = refresh
    return JSONResponse(body)


@router.get("/__sandbox__/calls")
async def calls(request: Request) -> JSONResponse:
    """API-call accounting: endpoint to calls/records, plus daily usage."""
    sandbox = sandbox_of(request)
    snap = {k: {"calls": c, "records": r} for k, (c, r) in sandbox.calls.snapshot().items()}
    return JSONResponse({"endpoints": snap, "api_usage": sandbox.api_usage})


@router.post("/__sandbox__/faults")
async def set_faults(request: Request) -> JSONResponse:
    """Configure faults.

    The body may hold ``fail_next {n, kind, retry_after}``, ``random {rate, seed, kinds}``,
    ``latency`` (seconds) and ``clear: true``.
    """
    body = await json_body(request)
    plan = sandbox_of(request).faults
    try:
        if body.get("clear"):
            plan.clear()
        if "fail_next" in body:
            spec = body["fail_next"]
            plan.fail_next(
                int(spec.get("n", 1)), FaultKind(spec["kind"]),
                retry_after=float(spec.get("retry_after", 1.0)),
            )  # fmt: skip
        if "random" in body:
            spec = body["random"]
            kinds = [FaultKind(k) for k in spec.get("kinds", [])]
            plan.set_random(float(spec["rate"]), seed=int(spec.get("seed", 0)), kinds=kinds)
        if "latency" in body:
            plan.set_latency(float(body["latency"]))
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return JSONResponse({"error": f"bad fault spec: {exc}"}, status_code=400)
    return JSONResponse({"pending": plan.pending()})


@router.delete("/__sandbox__/faults")
async def clear_faults(request: Request) -> Response:
    """Remove every fault."""
    sandbox_of(request).faults.clear()
    return Response(status_code=204)


@router.post("/__sandbox__/settings")
async def settings(request: Request) -> JSONResponse:
    """Change ``daily_limit`` (null = unlimited) and ``duplicate_rule``."""
    body = await json_body(request)
    sandbox = sandbox_of(request)
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected an object"}, status_code=400)
    if "daily_limit" in body:
        sandbox.daily_limit = None if body["daily_limit"] is None else int(body["daily_limit"])
    if "duplicate_rule" in body:
        sandbox.duplicate_rule = bool(body["duplicate_rule"])
    return JSONResponse(
        {"daily_limit": sandbox.daily_limit, "duplicate_rule": sandbox.duplicate_rule}
    )


@router.post("/__sandbox__/expire-sessions")
async def expire_sessions(request: Request) -> Response:
    """Invalidate every access token."""
    sandbox_of(request).expire_token(None)
    return Response(status_code=204)


@router.post("/__sandbox__/reset")
async def reset(request: Request) -> JSONResponse:
    """Forget all records, tokens, faults and counts; returns the new admin session id."""
    sandbox = sandbox_of(request)
    sandbox.reset()
    return JSONResponse({"session_id": sandbox.session_id})
