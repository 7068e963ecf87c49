"""Shared sandbox runtime: fault plans, API-call accounting and a loopback (TLS) ASGI server.

Every vendor emulator under :mod:`leadsync.sandbox` keeps its state apart from its wire format
(moto's layout) and uses the pieces here for what is common:

- :class:`FaultPlan` decides, once per API request, whether that request fails and how.
- :class:`FaultMiddleware` applies the plan in front of a vendor app. Vendor-shaped faults
  (rate limit, unavailable, expired session) are answered by a callback the vendor supplies;
  connection-level faults are handled here:

  * ``DROP`` aborts the TCP connection without an answer. Under :func:`serve`, the outermost
    ASGI layer captures uvicorn's transport and exposes an abort callable in
    ``scope["extensions"]["leadsync.abort"]``; calling it resets the socket, so clients see
    ``ConnectionError`` (remote end closed). Without that extension (e.g. an in-process test
    client) a truncated response is sent instead, which clients also see as a broken answer.
  * ``TIMEOUT`` holds the request for ``retry_after`` seconds (set it above the client's read
    timeout to observe a read timeout) and then drops the connection without answering.

- :class:`CallLog` counts calls and records per endpoint.
- :func:`serve` (from :mod:`leadsync.sandbox.serving`, re-exported here) runs an ASGI app with
  uvicorn in a daemon thread on a free loopback port, optionally over HTTPS with a throw-away
  CA made by trustme.
"""

from __future__ import annotations

import asyncio
import collections
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from leadsync.sandbox.serving import (
    ABORT_EXTENSION,
    ASGIApp,
    Message,
    Receive,
    RunningServer,
    Scope,
    Send,
    abort_connection,
    serve,
)

__all__ = [
    "ABORT_EXTENSION",
    "ASGIApp",
    "CallLog",
    "Fault",
    "FaultKind",
    "FaultMiddleware",
    "FaultPlan",
    "FaultResponder",
    "Message",
    "Receive",
    "RunningServer",
    "Scope",
    "Send",
    "abort_connection",
    "serve",
]

RejectPredicate = Callable[[Mapping[str, Any]], "str | None"]


class FaultKind(StrEnum):
    """What goes wrong with one API request."""

    RATE_LIMIT = "rate_limit"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    DROP = "drop"
    SESSION_EXPIRED = "session_expired"


@dataclass(frozen=True)
class Fault:
    """One fault to apply to a request.

    Attributes:
        kind: What goes wrong.
        retry_after: Seconds a rate-limit answer asks to wait; for ``TIMEOUT`` how long the
            request is held before the connection is dropped.
    """

    kind: FaultKind
    retry_after: float = 1.0


class FaultPlan:
    """Thread-safe schedule of injected faults, latency and record rejections.

    Attributes:
        rejecting: True while some ``reject_records`` predicate is set.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: collections.deque[Fault] = collections.deque()
        self._rate = 0.0
        self._rng = random.Random(0)
        self._kinds: tuple[FaultKind, ...] = ()
        self._latency = 0.0
        self._rejectors: list[RejectPredicate] = []
        # Read once per record of every batch, without the lock: a plain attribute.
        self.rejecting = False

    def fail_next(self, n: int, kind: FaultKind, *, retry_after: float = 1.0) -> None:
        """Make the next ``n`` requests fail with ``kind`` (queued after earlier ones)."""
        with self._lock:
            self._queue.extend(Fault(FaultKind(kind), retry_after) for _ in range(n))

    def set_random(self, rate: float, *, seed: int, kinds: Sequence[FaultKind]) -> None:
        """Fail a ``rate`` fraction of requests, reproducibly by ``seed``, with one of ``kinds``.

        Raises:
            ValueError: If ``rate`` is outside [0, 1] or ``kinds`` is empty while rate > 0.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if rate > 0 and not kinds:
            raise ValueError("kinds must not be empty")
        with self._lock:
            self._rate = rate
            self._rng = random.Random(seed)
            self._kinds = tuple(FaultKind(k) for k in kinds)

    def set_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before it is handled."""
        with self._lock:
            self._latency = max(0.0, seconds)

    @property
    def latency(self) -> float:
        """Seconds every request is delayed by."""
        with self._lock:
            return self._latency

    def reject_records(self, predicate: RejectPredicate) -> None:
        """Add a predicate returning an error message for records to reject, None to accept."""
        with self._lock:
            self._rejectors.append(predicate)
            self.rejecting = True

    def draw(self) -> Fault | None:
        """Return the fault for the current request, if any (call once per API request)."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._rate > 0 and self._rng.random() < self._rate:
                return Fault(self._rng.choice(self._kinds))
            return None

    def record_rejection(self, record: Mapping[str, Any]) -> str | None:
        """Return the first rejection message a predicate gives for ``record``, else None."""
        if not self._rejectors:
            # Called once per record of every batch; an empty list needs no lock to read.
            return None
        with self._lock:
            rejectors = list(self._rejectors)
        for predicate in rejectors:
            message = predicate(record)
            if message is not None:
                return message
        return None

    def pending(self) -> int:
        """Number of queued ``fail_next`` faults not drawn yet."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Remove every queued, random, latency and rejection setting."""
        with self._lock:
            self._queue.clear()
            self._rate = 0.0
            self._kinds = ()
            self._latency = 0.0
            self._rejectors.clear()
            self.rejecting = False


class CallLog:
    """Thread-safe count of API calls and records per endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, list[int]] = {}

    def record(self, endpoint: str, records: int = 0) -> None:
        """Count one call to ``endpoint`` carrying ``records`` records."""
        with self._lock:
            entry = self._counts.setdefault(endpoint, [0, 0])
            entry[0] += 1
            entry[1] += records

    def calls(self, endpoint: str | None = None) -> int:
        """Calls to ``endpoint``, or to all endpoints when None."""
        with self._lock:
            if endpoint is None:
                return sum(c for c, _ in self._counts.values())
            return self._counts.get(endpoint, [0, 0])[0]

    def records(self, endpoint: str | None = None) -> int:
        """Records sent to ``endpoint``, or to all endpoints when None."""
        with self._lock:
            if endpoint is None:
                return sum(r for _, r in self._counts.values())
            return self._counts.get(endpoint, [0, 0])[1]

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Endpoint to ``(calls, records)``."""
        with self._lock:
            return {k: (v[0], v[1]) for k, v in self._counts.items()}

    def reset(self) -> None:
        """Forget every count."""
        with self._lock:
            self._counts.clear()


FaultResponder = Callable[[Fault, Scope], ASGIApp | None]


class FaultMiddleware:
    """Applies a :class:`FaultPlan` to every HTTP request whose path is not exempt.

    Args:
        app: The vendor app.
        plan: The fault plan; ``draw`` is called once per request.
        respond: Builds the vendor-shaped answer for rate-limit, unavailable and expired-session
            faults (it may also change state, e.g. invalidate a token). Returning None lets the
            request through.
        exempt_prefixes: Paths that never draw faults (control endpoints).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        plan: FaultPlan,
        respond: FaultResponder,
        exempt_prefixes: Sequence[str] = ("/__sandbox__",),
    ) -> None:
        self.app = app
        self.plan = plan
        self.respond = respond
        self.exempt_prefixes = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        latency = self.plan.latency
        if latency:
            await asyncio.sleep(latency)
        fault = self.plan.draw()
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind is FaultKind.TIMEOUT:
            await asyncio.sleep(fault.retry_after)
            await abort_connection(scope, send)
            return
        if fault.kind is FaultKind.DROP:
            await abort_connection(scope, send)
            return
        answer = self.respond(fault, scope)
        await (answer or self.app)(scope, receive, send)
