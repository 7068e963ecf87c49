"""The HubSpot emulator's ASGI app: routers, error answers, auth, rate limit, accounting.

Layers, outermost first: :class:`HubSpotGate` (Bearer token check, rolling rate limit,
``X-HubSpot-RateLimit-*`` headers, :class:`~leadsync.sandbox.runtime.CallLog` accounting),
then the shared :class:`~leadsync.sandbox.runtime.FaultMiddleware` (injected 429/503/401,
timeouts and dropped connections), then the FastAPI routers. ``/__sandbox__`` control
endpoints bypass all three.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute, Match

from leadsync.sandbox.hubspot import (
    routes_associations,
    routes_batch,
    routes_control,
    routes_meta,
    routes_objects,
    routes_search,
)
from leadsync.sandbox.hubspot.errors import HubSpotError, rate_limited, unauthorized, unavailable
from leadsync.sandbox.hubspot.sandbox import Allowance, HubSpotSandbox
from leadsync.sandbox.runtime import (
    ASGIApp,
    Fault,
    FaultKind,
    FaultMiddleware,
    Message,
    Receive,
    Scope,
    Send,
)

CONTROL_PREFIX = "/__sandbox__"
_MAX_NAMES = 4096


def error_response(error: HubSpotError) -> JSONResponse:
    """The HTTP answer for a :class:`HubSpotError`."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def endpoint_name(routes: list[BaseRoute], scope: Scope) -> str:
    """Accounting name of a request: method and route with the object type filled in."""
    method = str(scope.get("method", "GET"))
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            path = str(getattr(route, "path", scope["path"]))
            for key in ("object_type", "from_type", "to_type"):
                value = child.get("path_params", {}).get(key)
                if value is not None:
                    path = path.replace("{" + key + "}", str(value))
            return f"{method} {path}"
    return f"{method} {scope['path']}"


class HubSpotGate:
    """Auth, rate limit, rate-limit headers and call accounting for API requests."""

    def __init__(self, app: ASGIApp, *, sandbox: HubSpotSandbox, routes: list[BaseRoute]):
        self.app = app
        self.sandbox = sandbox
        self.routes = routes
        self._names: dict[tuple[str, str], str] = {}

    def _endpoint(self, scope: Scope) -> str:
        """:func:`endpoint_name`, remembered per method and path (matching every route is slow)."""
        key = (str(scope.get("method", "GET")), str(scope["path"]))
        name = self._names.get(key)
        if name is None:
            if len(self._names) >= _MAX_NAMES:  # paths carry record ids: keep the memo bounded
                self._names.clear()
            name = self._names[key] = endpoint_name(self.routes, scope)
        return name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token and the rate window, then pass the request on and account for it."""
        if scope["type"] != "http" or str(scope["path"]).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        sandbox = self.sandbox
        state: dict[str, Any] = scope.setdefault("state", {})
        endpoint = self._endpoint(scope)
        token = _bearer(scope)
        is_search = str(scope["path"]).endswith("/search")
        allowance = sandbox.limiter.acquire(search=is_search)
        # HubSpot's search answers carry no rate-limit headers (search guide, "Limitations").
        headers = [] if is_search else self._headers(allowance)

        recorded = False

        def account() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                sandbox.calls.record(endpoint, int(state.get("records", 0)))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Count before the answer leaves, so a client never sees it before the log does.
                account()
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        refusal = self._refusal(token, allowance)
        try:
            answer = error_response(refusal) if refusal is not None else self.app
            await answer(scope, receive, send_with_headers)
        finally:
            account()

    def _refusal(self, token: str | None, allowance: Allowance) -> HubSpotError | None:
        """The 401 or 429 a request gets before it reaches the API, if any."""
        if token not in self.sandbox.tokens:
            return unauthorized(expired=token in self.sandbox.expired_tokens)
        if not allowance.allowed:
            return rate_limited(allowance.retry_after, policy=allowance.policy)
        return None

    def _headers(self, allowance: Allowance) -> list[tuple[bytes, bytes]]:
        s = self.sandbox.settings
        pairs = {
            "x-hubspot-ratelimit-interval-milliseconds": s.window_ms,
            "x-hubspot-ratelimit-max": s.window_max,
            "x-hubspot-ratelimit-remaining": allowance.remaining,
            "x-hubspot-ratelimit-daily": s.daily_max,
            "x-hubspot-ratelimit-daily-remaining": allowance.daily_remaining,
        }
        return [(k.encode(), str(v).encode()) for k, v in pairs.items()]


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            text = bytes(value).decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return None


def fault_responder(sandbox: HubSpotSandbox) -> Any:
    """The FaultMiddleware callback answering vendor-shaped faults."""

    def respond(fault: Fault, scope: Scope) -> ASGIApp | None:
        if fault.kind is FaultKind.RATE_LIMIT:
            error = rate_limited(fault.retry_after)
            error.headers["X-HubSpot-RateLimit-Remaining"] = "0"
            return error_response(error)
        if fault.kind is FaultKind.UNAVAILABLE:
            return error_response(unavailable())
        if fault.kind is FaultKind.SESSION_EXPIRED:
            return error_response(unauthorized(expired=True))
        return None

    return respond


def create_app(sandbox: HubSpotSandbox) -> FastAPI:
    """Build the emulator app for ``sandbox``.

    Args:
        sandbox: State, fault plan, call log and settings to serve.

    Returns:
        A FastAPI app to run with :func:`leadsync.sandbox.runtime.serve` (or any ASGI server).
    """
    app = FastAPI(title="HubSpot sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = sandbox
    modules = (
        routes_control,
        routes_search,
        routes_batch,
        routes_objects,
        routes_meta,
        routes_associations,
    )
    for module in modules:
        app.include_router(module.router)
    # The routers' own routes (FastAPI may wrap included routers) name endpoints for accounting.
    routes = [route for module in modules for route in module.router.routes]

    @app.exception_handler(HubSpotError)
    async def on_hubspot_error(request: Request, exc: HubSpotError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        return error_response(
            HubSpotError(400, "VALIDATION_ERROR", f"Invalid input: {', '.join(where)}")
        )

    @app.exception_handler(ValueError)
    async def on_value_error(request: Request, exc: ValueError) -> JSONResponse:
        return error_response(HubSpotError(400, "VALIDATION_ERROR", f"Invalid input: {exc}"))

    app.add_middleware(FaultMiddleware, plan=sandbox.faults, respond=fault_responder(sandbox))
    app.add_middleware(HubSpotGate, sandbox=sandbox, routes=routes)
    return app
