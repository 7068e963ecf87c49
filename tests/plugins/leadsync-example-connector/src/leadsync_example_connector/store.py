"""The pretend CRM behind the example connector: records, users, an API token and faults."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.errors import ConfigError, RateLimitError, RetryableError


@dataclass
class Row:
    """One stored contact."""

    fields: dict[str, Any]
    updated_at: datetime
    deleted: bool = False


@dataclass
class MemoryCrm:
    """State of one pretend portal; ``call`` is its whole "API surface"."""

    token: str
    rows: dict[str, Row] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    faults: deque[str] = field(default_factory=deque)
    calls: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def call(self, token: str) -> None:
        """Account one API call: apply a queued fault or reject a bad token."""
        self.calls += 1
        if self.faults:
            fault = self.faults.popleft()
            if fault == "rate_limit":
                raise RateLimitError("HTTP 429: slow down", code="RATE_LIMIT", retry_after=0.0)
            raise RetryableError("HTTP 503: unavailable", code="UNAVAILABLE")
        if token != self.token:
            raise ConfigError("HTTP 401: bad token", code="UNAUTHORIZED")

    def new_id(self) -> str:
        """Return a fresh record id."""
        return f"m{next(self._ids)}"
