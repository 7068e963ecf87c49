"""The shared retry policy: exponential backoff with full jitter that honours Retry-After.

Built on tenacity. Only :class:`~leadsync.errors.RetryableError` (and so
:class:`~leadsync.errors.RateLimitError`) is retried; every other error, including
non-retryable 4xx answers already turned into ``FatalError``/``ConfigError``/
``RejectedRecordError`` by :mod:`leadsync.connectors.http`, passes straight through.

Sleep and clock are injectable so tests never wait::

    policy = RetryPolicy(max_attempts=4, sleep=fake.sleep, clock=fake.monotonic)
    policy.call(fetch_page, cursor)
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import tenacity

from leadsync.errors import RateLimitError, RetryableError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure.

    Attributes:
        max_attempts: Total attempts including the first one.
        max_total_wait: Seconds (by ``clock``) after the first attempt past which no further
            attempt starts; a wait that would cross it ends the retrying instead.
        base: Backoff base in seconds: attempt ``n`` waits up to ``base * 2**(n-1)``.
        cap: Upper bound of one backoff wait (a server's Retry-After may exceed it).
        sleep: Called with seconds to wait.
        clock: Monotonic seconds.
        rng: Random source for the jitter (seed it in tests).
    """

    max_attempts: int = 5
    max_total_wait: float = 120.0
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        A :class:`RateLimitError` carrying ``retry_after`` waits exactly that long; anything
        else waits a uniformly random time in ``[0, min(cap, base * 2**(attempt-1))]``
        ("full jitter"), which spreads retrying clients apart.
        """
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return max(0.0, float(error.retry_after))
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return self.rng.uniform(0.0, ceiling)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``fn(*args, **kwargs)``, retrying it on :class:`RetryableError`.

        Returns:
            What ``fn`` returned.

        Raises:
            RetryableError: The last transient error once attempts or time ran out.
            LeadsyncError: Any non-retryable error, at once.
        """
        start = self.clock()

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.backoff(state.attempt_number, error)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts:
                return True
            upcoming = state.upcoming_sleep or 0.0
            return (self.clock() - start) + upcoming > self.max_total_wait

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(fn, *args, **kwargs)

    def wrap(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorator form of :meth:`call`."""

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return self.call(fn, *args, **kwargs)

        return wrapper


def _log_retry(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    # The error class and code only: messages may echo request data.
    log.warning(
        "retrying %s after %s (code=%s), attempt %d, waiting %.2fs",
        getattr(state.fn, "__name__", "call"),
        type(error).__name__,
        getattr(error, "code", None),
        state.attempt_number,
        state.upcoming_sleep,
    )


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that makes exactly one attempt (for callers that retry at a higher level)."""
