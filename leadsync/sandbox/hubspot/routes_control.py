"""Control endpoints of the HubSpot sandbox under ``/__sandbox__`` (not part of HubSpot's API).

They let a process that only has the URL (``leadsync demo``, a benchmark in another process)
inject faults, read API-call accounting, switch the rate limit and reset the portal. They need
no token, draw no faults and are not counted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from leadsync.sandbox.hubspot.errors import validation
from leadsync.sandbox.hubspot.wire import read_body, sandbox_of
from leadsync.sandbox.runtime import FaultKind

router = APIRouter(prefix="/__sandbox__")


@router.get("/calls")
async def get_calls(request: Request) -> dict[str, Any]:
    """Calls and records per endpoint, plus totals."""
    calls = sandbox_of(request).calls
    snapshot = calls.snapshot()
    return {
        "endpoints": {k: {"calls": c, "records": r} for k, (c, r) in sorted(snapshot.items())},
        "total_calls": calls.calls(),
        "total_records": calls.records(),
    }


@router.delete("/calls", status_code=204, response_class=Response)
async def reset_calls(request: Request) -> Response:
    """Forget call counts."""
    sandbox_of(request).calls.reset()
    return Response(status_code=204)


@router.post("/faults", status_code=204, response_class=Response)
async def set_faults(request: Request) -> Response:
    """Schedule faults.

    Body members (all optional): ``fail_next`` ``{"n", "kind", "retry_after"}``, ``random``
    ``{"rate", "seed", "kinds"}``, ``latency`` (seconds). ``kind`` values are
    :class:`~leadsync.sandbox.runtime.FaultKind` values (``rate_limit``, ``unavailable``,
    ``timeout``, ``drop``, ``session_expired``).
    """
    body = await read_body(request)
    plan = sandbox_of(request).faults
    try:
        if "fail_next" in body:
            spec = body["fail_next"]
            plan.fail_next(
                int(spec.get("n", 1)),
                FaultKind(spec["kind"]),
                retry_after=float(spec.get("retry_after", 1.0)),
            )
        if "random" in body:
            spec = body["random"]
            kinds = [FaultKind(k) for k in spec.get("kinds", [])]
            plan.set_random(float(spec["rate"]), seed=int(spec.get("seed", 0)), kinds=kinds)
        if "latency" in body:
            plan.set_latency(float(body["latency"]))
    except (KeyError, ValueError) as exc:
        raise validation(f"Invalid fault specification: {exc}") from None
    return Response(status_code=204)


@router.delete("/faults", status_code=204, response_class=Response)
async def clear_faults(request: Request) -> Response:
    """Remove every scheduled fault, latency and record rejection."""
    sandbox_of(request).faults.clear()
    return Response(status_code=204)


@router.post("/settings")
async def update_settings(request: Request) -> dict[str, Any]:
    """Change rate-limit settings; answers the settings now in force."""
    body = await read_body(request)
    settings = sandbox_of(request).settings
    for name in ("rate_limit_enabled", "window_max", "window_ms", "daily_max", "search_per_second"):
        if name in body:
            kind = type(getattr(settings, name))
            setattr(settings, name, kind(body[name]))
    return dict(vars(settings))


@router.post("/reset", status_code=204, response_class=Response)
async def reset(request: Request) -> Response:
    """Empty the portal and clear faults, counts and the rate window."""
    sandbox_of(request).reset()
    return Response(status_code=204)


@router.get("/state")
async def summary(request: Request) -> dict[str, Any]:
    """Record counts per object type and the number of owners."""
    state = sandbox_of(request).state
    with state.lock:
        return {
            "objects": {name: len(store) for name, store in state.stores.items()},
            "owners": len(state.owners),
        }
