"""Salesforce answers → leadsync errors, and the Sforce-Limit-Info budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests

from leadsync.connectors.http import error_for
from leadsync.errors import BudgetExhaustedError, LeadsyncError, RateLimitError

INVALID_SESSION = "INVALID_SESSION_ID"
LOCK_CODES = frozenset({"UNABLE_TO_LOCK_ROW"})
DUPLICATE_CODES = frozenset({"DUPLICATES_DETECTED"})
_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


@dataclass
class ApiBudget:
    """The org's daily API usage as last reported, and the share we may spend."""

    share: float
    used: int = 0
    total: int = 0

    def note(self, header: str | None) -> None:
        """Read ``Sforce-Limit-Info: api-usage=used/total`` from an answer."""
        match = _USAGE.search(header or "")
        if match:
            self.used, self.total = int(match.group(1)), int(match.group(2))

    def check(self) -> None:
        """Raise before a call that would pass the allowed share.

        Raises:
            BudgetExhaustedError: ``used + 1`` would exceed ``share * total``.
        """
        if self.total and self.used + 1 > self.share * self.total:
            raise BudgetExhaustedError(
                f"Salesforce daily API usage {self.used}/{self.total} reached the "
                f"{self.share:.0%} budget",
                code="API_BUDGET",
            )


def first_error(body: Any) -> tuple[str | None, str]:
    """The (errorCode, message) of a Salesforce error body (a list of errors)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode"), str(body[0].get("message", ""))
    if isinstance(body, dict):
        return body.get("errorCode") or body.get("error"), str(body.get("message", ""))
    return None, str(body)[:200]


def error_for_response(resp: requests.Response, budget: ApiBudget) -> LeadsyncError:
    """The leadsync error for a failed Salesforce answer."""
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    code, message = first_error(body)
    error = error_for(resp.status_code, message, code=code, headers=resp.headers)
    exhausted = budget.total and budget.used >= budget.total
    if isinstance(error, RateLimitError) and error.retry_after is None and exhausted:
        # The whole day's allocation is gone: waiting seconds will not help.
        return BudgetExhaustedError(f"HTTP {resp.status_code}: {message}", code=code)
    return error
