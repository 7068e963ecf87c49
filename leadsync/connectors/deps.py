"""What the engine hands a connector besides its settings: session, CA, retry, clock, sleep."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from leadsync.connectors.base import Clock, Sleep
from leadsync.connectors.ratelimit import BucketRegistry
from leadsync.connectors.retry import RetryPolicy

if TYPE_CHECKING:
    import requests


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConnectorDeps:
    """Dependencies passed into every connector (never patched in tests).

    Attributes:
        requests_session: A ``requests.Session`` for connectors built on requests
            (Salesforce); tests pass one with ``verify=<ca>`` and ``trust_env=False``.
        ca_path: PEM bundle to trust (HubSpot's ``ssl_ca_cert``).
        retry: The retry policy for transient failures.
        clock: Wall-clock time (UTC-aware).
        sleep: Blocking sleep in seconds (rate budgets use it).
        rate_buckets: Client-side request budgets by portal; share one registry between the
            connectors of a process so they share each portal's budget.
    """

    requests_session: requests.Session | None = None
    ca_path: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = utc_now
    sleep: Sleep = time.sleep
    rate_buckets: BucketRegistry = field(default_factory=BucketRegistry)
