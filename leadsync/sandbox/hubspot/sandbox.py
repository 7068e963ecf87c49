"""The HubSpot sandbox object: portal state, fault plan, call log, rate limiter and settings.

HubSpot's burst limit is a rolling window (``TEN_SECONDLY_ROLLING``: 100 requests per 10 s for
OAuth apps and Starter, 190 for Professional/Enterprise private apps) plus a daily allowance;
see https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details; CRM search
has its own limit of 5 requests per second (search guide, "Limitations"). The limiter here
counts every authenticated request in the window (also while enforcement is off, so the
``X-HubSpot-RateLimit-Remaining`` header stays truthful) and refuses requests only when
``settings.rate_limit_enabled`` is on.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from leadsync.sandbox.hubspot.models import HubSpotState
from leadsync.sandbox.hubspot.store import Clock
from leadsync.sandbox.runtime import CallLog, FaultPlan, RunningServer, serve

DEFAULT_TOKEN = "pat-na1-00000000-0000-4000-8000-sandbox00001"


@dataclass
class HubSpotSettings:
    """Switches of the emulated portal.

    Attributes:
        rate_limit_enabled: Refuse requests over the window limit with 429.
        window_max: Requests allowed per rolling window (100 or 190 on real portals).
        window_ms: Window length in milliseconds (HubSpot: 10,000).
        daily_max: Daily allowance reported in ``X-HubSpot-RateLimit-Daily``.
        search_per_second: CRM search requests allowed per second (HubSpot: 5 per token).
    """

    rate_limit_enabled: bool = False
    window_max: int = 190
    window_ms: int = 10_000
    daily_max: int = 1_000_000
    search_per_second: int = 5


@dataclass(frozen=True)
class Allowance:
    """The limiter's verdict for one request."""

    allowed: bool
    remaining: int
    retry_after: float
    daily_remaining: int
    policy: str = ""


class RateLimiter:
    """Rolling-window and daily request counter.

    Args:
        settings: The portal settings (read on every call, so changes apply at once).
        monotonic: Clock in seconds (injectable for tests).
    """

    def __init__(self, settings: HubSpotSettings, monotonic: Callable[[], float]) -> None:
        self.settings = settings
        self._now = monotonic
        self._lock = threading.Lock()
        self._window: collections.deque[float] = collections.deque()
        self._search: collections.deque[float] = collections.deque()
        self._daily = 0

    def acquire(self, *, search: bool = False) -> Allowance:
        """Count one request, unless enforcement is on and a limit is reached.

        Args:
            search: The request is a CRM search, which also has its own per-second limit.
        """
        s = self.settings
        with self._lock:
            now = self._now()
            horizon = now - s.window_ms / 1000
            _expire(self._window, horizon)
            _expire(self._search, now - 1.0)
            daily_left = max(0, s.daily_max - self._daily)
            refusal = self._refusal(search, horizon, now) if s.rate_limit_enabled else None
            if refusal is not None:
                policy, wait = refusal
                return Allowance(False, 0, wait, daily_left, policy)
            self._window.append(now)
            if search:
                self._search.append(now)
            self._daily += 1
            remaining = max(0, s.window_max - len(self._window))
            return Allowance(True, remaining, 0.0, max(0, daily_left - 1))

    def _refusal(self, search: bool, horizon: float, now: float) -> tuple[str, float] | None:
        s = self.settings
        if self._daily >= s.daily_max:
            return "DAILY", s.window_ms / 1000
        if len(self._window) >= s.window_max:
            return "TEN_SECONDLY_ROLLING", self._window[0] - horizon
        if search and len(self._search) >= s.search_per_second:
            return "SECONDLY", self._search[0] - (now - 1.0)
        return None

    def reset(self) -> None:
        """Forget counted requests."""
        with self._lock:
            self._window.clear()
            self._search.clear()
            self._daily = 0


def _expire(window: collections.deque[float], horizon: float) -> None:
    while window and window[0] <= horizon:
        window.popleft()


class HubSpotSandbox:
    """An emulated HubSpot portal.

    Attributes:
        state: Records, owners, associations (see :class:`HubSpotState`).
        faults: Shared fault plan; ``draw`` is called once per API request.
        calls: API calls and records per endpoint (e.g. ``POST /crm/v3/objects/contacts``).
        settings: Rate limits and their enforcement.
        tokens: Access tokens accepted (Bearer); others answer 401.
        expired_tokens: Tokens answered with the "expired" 401.
    """

    def __init__(
        self,
        *,
        settings: HubSpotSettings | None = None,
        tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall_clock
        self.settings = settings or HubSpotSettings()
        self.state = HubSpotState(Clock(wall_clock))
        self.faults = FaultPlan()
        self.calls = CallLog()
        self.limiter = RateLimiter(self.settings, monotonic)
        self.tokens = set(tokens)
        self.expired_tokens: set[str] = set()

    def reset(self) -> None:
        """Empty the portal and clear faults, call counts and the rate window."""
        self.state = HubSpotState(Clock(self._wall))
        self.faults.clear()
        self.calls.reset()
        self.limiter.reset()

    def expire_token(self, token: str) -> None:
        """Make ``token`` answer 401 (expired) from now on."""
        self.tokens.discard(token)
        self.expired_tokens.add(token)

    def serve(self, *, tls: bool = False) -> RunningServer:
        """Serve this sandbox on a free loopback port (HTTPS with a throw-away CA if ``tls``)."""
        from leadsync.sandbox.hubspot.app import create_app

        return serve(create_app(self), tls=tls)

    def __repr__(self) -> str:
        counts = {name: len(store) for name, store in self.state.stores.items()}
        return f"HubSpotSandbox(records={counts}, owners={len(self.state.owners)})"
