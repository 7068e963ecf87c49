"""A client-side token bucket so a portal's request budget is rarely exceeded (429s stay rare)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Allows at most ``limit`` requests in any ``window`` seconds (a rolling window).

    A bucket holding ``burst`` tokens refilled at ``r`` per second admits up to
    ``burst + r * window`` requests in a window, so ``r = (limit - burst) / window`` with a
    small burst (a tenth of the limit) keeps every rolling window under the vendor's limit.

    Args:
        limit: Requests allowed per window.
        window: Window length in seconds.
        clock: Monotonic seconds.
        sleep: Blocking sleep.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.capacity = max(1, limit // 10)
        self.rate = max(limit - self.capacity, 1) / window
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.capacity)
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until it is there; return the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1  # a negative balance is a reservation others queue behind
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
        if wait:
            self._sleep(wait)
        return wait


class BucketRegistry:
    """Buckets by portal, so every connector talking to one portal shares its budget.

    Hand one registry to all connectors of a process (through ``ConnectorDeps``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def get(self, key: str, make: Callable[[], TokenBucket]) -> TokenBucket:
        """The bucket for ``key``, made by ``make`` the first time."""
        with self._lock:
            if key not in self._buckets:
                self._buckets[key] = make()
            return self._buckets[key]
