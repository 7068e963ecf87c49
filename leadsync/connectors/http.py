"""The HTTP status → leadsync error table every connector shares (Airbyte-style).

=================  ======================  ==========================================
status             error                   who acts
=================  ======================  ==========================================
401                ConfigError             operator (the connector re-auths once first)
403 + rate code    RateLimitError          nobody: wait and retry
403                FatalError              operator (permissions)
404 / 409 / 400    RejectedRecordError     nobody: skip the record (``per_record``)
                   or FatalError           operator (a whole call that cannot succeed)
408 / 425          RetryableError          nobody: retry
429                RateLimitError          nobody: wait Retry-After, retry
5xx                RetryableError          nobody: retry
timeout / reset    RetryableError          nobody: retry
=================  ======================  ==========================================
"""

from __future__ import annotations

import email.utils
import enum
from collections.abc import Collection, Mapping
from datetime import UTC, datetime

import requests

from leadsync.errors import (
    ConfigError,
    FatalError,
    LeadsyncError,
    RateLimitError,
    RejectedRecordError,
    RetryableError,
)


class Action(enum.StrEnum):
    """What the caller should do about an answer."""

    REAUTH_THEN_CONFIG = "reauth_then_config"
    RATE_LIMIT = "rate_limit"
    RETRY = "retry"
    FAIL = "fail"
    REJECT = "reject"


DEFAULT_RATE_CODES: frozenset[str] = frozenset(
    {
        "REQUEST_LIMIT_EXCEEDED",
        "RATE_LIMIT",
        "TOO_MANY_REQUESTS",
        "SECONDLY",
        "TEN_SECONDLY_ROLLING",
    }
)
_RETRY_4XX = frozenset({408, 425})


def action_for(status: int, *, code: str | None = None, rate_codes: Collection[str] = ()) -> Action:
    """Return the :class:`Action` for an HTTP ``status`` (and vendor ``code``), by the table."""
    codes = set(rate_codes) | DEFAULT_RATE_CODES
    if status == 401:
        return Action.REAUTH_THEN_CONFIG
    if status == 429 or (status == 403 and code is not None and code in codes):
        return Action.RATE_LIMIT
    if status >= 500 or status in _RETRY_4XX:
        return Action.RETRY
    if status == 403:
        return Action.FAIL
    return Action.REJECT


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for(
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    per_record: bool = False,
    rate_codes: Collection[str] = (),
) -> LeadsyncError:
    """Build the leadsync error for a failed answer, by the table.

    Args:
        status: The HTTP status.
        message: Vendor message (must not hold a secret).
        code: The vendor's error code.
        headers: Answer headers; ``Retry-After`` is read from them.
        per_record: The call carried one record, so an ordinary 4xx rejects that record
            instead of failing the job.
        rate_codes: Extra vendor codes that mean "rate limited" on a 403.

    Returns:
        The error to raise (never raised here).
    """
    action = action_for(status, code=code, rate_codes=rate_codes)
    text = f"HTTP {status}: {message}"
    if action is Action.REAUTH_THEN_CONFIG:
        return ConfigError(f"credentials rejected ({text})", code=code)
    if action is Action.RATE_LIMIT:
        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        return RateLimitError(text, code=code, retry_after=retry_after)
    if action is Action.RETRY:
        return RetryableError(text, code=code)
    if action is Action.REJECT and per_record:
        return RejectedRecordError(text, code=code)
    return FatalError(text, code=code)


def error_for_transport(exc: BaseException) -> RetryableError | None:
    """Map a transport failure (timeout, reset, refused) to :class:`RetryableError`."""
    if isinstance(exc, requests.exceptions.SSLError):
        return None  # a certificate problem will not heal by retrying
    if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.ConnectionError):
        return RetryableError(f"transport failure: {type(exc).__name__}", code="TRANSPORT")
    if isinstance(exc, TimeoutError | ConnectionError):
        return RetryableError(f"transport failure: {type(exc).__name__}", code="TRANSPORT")
    return None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)
