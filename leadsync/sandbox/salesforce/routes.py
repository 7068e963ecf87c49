"""The Salesforce emulator's ASGI app: API gate (versions, auth, limits, faults) and routers.

Wire format follows the Salesforce REST API Developer Guide, "Status Codes and Error
Responses" (errors are ``[{"message", "errorCode", "fields"}]``; 401 expired/invalid session,
403 refused incl. REQUEST_LIMIT_EXCEEDED, 404 not found, 503 unavailable) and the
``Sforce-Limit-Info: api-usage=n/m`` response header
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
"""

from __future__ import annotations

import math
import re

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.runtime import (
    ASGIApp,
    Fault,
    FaultKind,
    FaultMiddleware,
    FaultResponder,
    Message,
    Receive,
    Scope,
    Send,
)
from leadsync.sandbox.salesforce import (
    routes_bulk,
    routes_composite,
    routes_control,
    routes_query,
    routes_sobjects,
)
from leadsync.sandbox.salesforce.bulk import JobStore
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.wire import ApiError, error_response

SUPPORTED_VERSIONS = tuple(f"{v}.0" for v in range(41, 61))
_API_PATH = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text[:7].lower() == "bearer " else None
    return None


class ApiGate:
    """Rewrites ``/services/data/vXX.X/...`` to the routers, authenticates and counts usage."""

    def __init__(self, app: ASGIApp, sandbox: SalesforceSandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        match = _API_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        version, rest = match.group(1), (match.group(2) or "/").rstrip("/") or "/"
        if version not in SUPPORTED_VERSIONS:
            resp = error_response(404, "NOT_FOUND", "The requested resource does not exist")
            await resp(scope, receive, send)
            return
        user_id = self.sandbox.user_for_token(_bearer(scope) or "")
        if user_id is None:
            resp = error_response(401, "INVALID_SESSION_ID", "Session expired or invalid")
            await resp(scope, receive, send)
            return
        if not self.sandbox.count_api_request():
            resp = error_response(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            await resp(scope, receive, send)
            return
        scope = dict(scope)
        scope["path"] = "/api" + rest
        scope["state"] = {**scope.get("state", {}), "user_id": user_id}
        scope["state"]["api_base"] = f"/services/data/v{version}"
        await self.app(scope, receive, send)


class LimitInfoHeader:
    """Adds ``Sforce-Limit-Info: api-usage=n/m`` to every ``/services/data`` response.

    Outermost, so that injected faults and auth failures carry it too, as real answers do.
    """

    def __init__(self, app: ASGIApp, sandbox: SalesforceSandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or not scope.get("path", "").startswith("/services/data/v"):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Read at answer time: the gate has counted this request by then.
                usage = f"api-usage={self.sandbox.api_usage}/{self.sandbox.limit_max}".encode()
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"sforce-limit-info", usage)]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _fault_responder(sandbox: SalesforceSandbox) -> FaultResponder:
    def respond(fault: Fault, scope: Scope) -> ASGIApp | None:
        if fault.kind is FaultKind.RATE_LIMIT:
            resp = error_response(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            resp.headers["Retry-After"] = str(max(1, math.ceil(fault.retry_after)))
            return resp
        if fault.kind is FaultKind.SESSION_EXPIRED:
            # The token is really gone: the client must re-authenticate, as after a real expiry.
            sandbox.expire_token(_bearer(scope))
            return error_response(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if fault.kind is FaultKind.UNAVAILABLE:
            return error_response(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        return None

    return respond


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, "NOT_FOUND", "The requested resource does not exist")


async def _bad_method(request: Request, exc: Exception) -> Response:
    body = [
        {
            "message": f"HTTP Method '{request.method}' not allowed.",
            "errorCode": "METHOD_NOT_ALLOWED",
        }
    ]
    return JSONResponse(body, status_code=405)


def create_app(sandbox: SalesforceSandbox) -> FastAPI:
    """Build the emulator app for ``sandbox``; serve it with ``leadsync.sandbox.runtime.serve``.

    Faults apply to ``/services/data`` only; ``/services/oauth2`` and ``/__sandbox__`` are exempt.
    """
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox
    app.state.query_cursors = routes_query.Cursors()
    app.state.bulk_jobs = JobStore()
    for module in (routes_sobjects, routes_query, routes_composite, routes_bulk, routes_control):
        app.include_router(module.router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _bad_method)
    # Starlette runs the last added middleware first: usage header, faults, gate, routers.
    app.add_middleware(ApiGate, sandbox=sandbox)
    app.add_middleware(
        FaultMiddleware,
        plan=sandbox.faults,
        respond=_fault_responder(sandbox),
        exempt_prefixes=("/__sandbox__", "/services/oauth2"),
    )
    app.add_middleware(LimitInfoHeader, sandbox=sandbox)
    return app
