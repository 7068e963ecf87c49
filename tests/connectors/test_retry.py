"""The shared retry policy and the status → error table, with a fake clock and sleep."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from leadsync.connectors.http import Action, action_for, error_for, parse_retry_after
from leadsync.connectors.retry import RetryPolicy
from leadsync.errors import (
    ConfigError,
    FatalError,
    LeadsyncError,
    RateLimitError,
    RejectedRecordError,
    RetryableError,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def flaky(errors: list[Exception], result: str = "ok") -> tuple[Callable[[], str], list[int]]:
    calls = [0]

    def fn() -> str:
        calls[0] += 1
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def policy(fake: FakeTime, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=fake.sleep, clock=fake.clock, rng=random.Random(1), **kw)  # type: ignore[arg-type]


def test_retries_retryable_until_success() -> None:
    fake = FakeTime()
    fn, calls = flaky([RetryableError("503"), RetryableError("503")])
    assert policy(fake, max_attempts=5).call(fn) == "ok"
    assert calls[0] == 3
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [ConfigError("401"), FatalError("400"), RejectedRecordError("bad")],
    ids=["config", "fatal", "rejected"],
)
def test_never_retries_non_retryable(error: LeadsyncError) -> None:
    fake = FakeTime()
    fn, calls = flaky([error])
    with pytest.raises(type(error)):
        policy(fake).call(fn)
    assert calls[0] == 1
    assert fake.sleeps == []


def test_honours_retry_after_exactly() -> None:
    fake = FakeTime()
    fn, _ = flaky([RateLimitError("429", retry_after=7.5)])
    policy(fake, cap=1.0).call(fn)
    assert fake.sleeps == [7.5]


def test_full_jitter_stays_under_the_exponential_ceiling() -> None:
    fake = FakeTime()
    fn, _ = flaky([RetryableError("x") for _ in range(6)])
    policy(fake, max_attempts=7, base=1.0, cap=8.0, max_total_wait=1e9).call(fn)
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(0 <= s <= c for s, c in zip(fake.sleeps, ceilings, strict=True))
    assert len(set(fake.sleeps)) == len(fake.sleeps), "jitter: waits are not all equal"


def test_gives_up_after_max_attempts_with_last_error() -> None:
    fake = FakeTime()
    fn, calls = flaky([RetryableError(f"e{i}") for i in range(10)])
    with pytest.raises(RetryableError, match="e2"):
        policy(fake, max_attempts=3).call(fn)
    assert calls[0] == 3


def test_gives_up_when_wait_would_cross_the_time_budget() -> None:
    fake = FakeTime()
    fn, calls = flaky([RateLimitError("429", retry_after=30.0) for _ in range(5)])
    with pytest.raises(RateLimitError):
        policy(fake, max_attempts=10, max_total_wait=60.0).call(fn)
    assert calls[0] == 3, "waits of 30 s fit twice into 60 s"
    assert fake.now == 60.0


def test_decorator_form() -> None:
    fake = FakeTime()
    fn, calls = flaky([RetryableError("x")])
    wrapped = policy(fake).wrap(fn)
    assert wrapped() == "ok"
    assert calls[0] == 2


STATUS_TABLE = [
    (401, None, Action.REAUTH_THEN_CONFIG, ConfigError),
    (403, "REQUEST_LIMIT_EXCEEDED", Action.RATE_LIMIT, RateLimitError),
    (403, "INSUFFICIENT_ACCESS", Action.FAIL, FatalError),
    (429, None, Action.RATE_LIMIT, RateLimitError),
    (500, None, Action.RETRY, RetryableError),
    (503, None, Action.RETRY, RetryableError),
    (408, None, Action.RETRY, RetryableError),
    (400, "INVALID_FIELD", Action.REJECT, FatalError),
    (404, None, Action.REJECT, FatalError),
]


@pytest.mark.parametrize(
    ("status", "code", "action", "error"),
    STATUS_TABLE,
    ids=[f"{s}-{c}" for s, c, _, _ in STATUS_TABLE],
)
def test_status_table(status: int, code: str | None, action: Action, error: type) -> None:
    assert action_for(status, code=code) is action
    built = error_for(status, "msg", code=code)
    assert type(built) is error
    assert built.code == code


def test_per_record_4xx_is_a_rejection() -> None:
    assert isinstance(error_for(400, "bad", per_record=True), RejectedRecordError)
    assert isinstance(error_for(503, "down", per_record=True), RetryableError)


def test_429_carries_retry_after_from_headers() -> None:
    built = error_for(429, "slow", headers={"retry-after": "12"})
    assert isinstance(built, RateLimitError)
    assert built.retry_after == 12.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("", None), ("soon", None), (None, None)],
    ids=["int", "float", "negative", "empty", "garbage", "missing"],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
