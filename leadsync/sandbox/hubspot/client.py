"""A real ``hubspot.Client`` pointed at a running HubSpot sandbox (for tests and the demo)."""

from __future__ import annotations

from typing import Any

import hubspot
from urllib3.util.retry import Retry

from leadsync.sandbox.hubspot.sandbox import DEFAULT_TOKEN
from leadsync.sandbox.runtime import RunningServer


def hubspot_client(
    server: RunningServer,
    *,
    access_token: str = DEFAULT_TOKEN,
    retry: Retry | None = None,
    **config: Any,
) -> Any:
    """Build the official SDK client for ``server``.

    The SDK leaves urllib3's default ``Retry(3)`` in place, which silently re-sends GETs that
    answer 429/503 with ``Retry-After`` and any request whose connection failed. Here retries
    are off unless ``retry`` is given, so callers (and leadsync's own retry policy) see every
    fault.

    Args:
        server: The running sandbox (``base_url``; ``ca_path`` when served over TLS).
        access_token: Bearer token to send.
        retry: urllib3 retry policy; None disables retries.
        **config: Further SDK ``Configuration`` attributes (e.g. ``verify_ssl``).

    Returns:
        A ``hubspot.Client`` (typed ``Any``: the SDK ships no type hints).
    """
    options: dict[str, Any] = {"host": server.base_url}
    if server.ca_path:
        options["ssl_ca_cert"] = server.ca_path
    options.update(config)
    policy = retry if retry is not None else Retry(total=0, connect=0, read=0, redirect=0, status=0)
    return hubspot.Client.create(access_token=access_token, retry=policy, **options)
