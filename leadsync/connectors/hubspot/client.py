"""The HubSpot transport: the official SDK behind a rate budget, retries and error mapping.

SDK answers are taken raw (``_preload_content=False``) and decoded as JSON: the generated
models add nothing the connector needs and cost time on 10,000-record syncs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import hubspot
import urllib3
from hubspot.discovery.discovery_base import DiscoveryBase
from urllib3.util.retry import Retry

from leadsync import jsoncodec
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.http import error_for
from leadsync.connectors.hubspot.settings import HubSpotSettings, OAuthAuth
from leadsync.connectors.ratelimit import TokenBucket
from leadsync.errors import (
    BudgetExhaustedError,
    ConfigError,
    FatalError,
    LeadsyncError,
    RejectedRecordError,
    RetryableError,
)

log = logging.getLogger(__name__)
RATE_CODES = ("RATE_LIMIT", "TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY")


class BatchRejectedError(RejectedRecordError):
    """A batch call refused as a whole because of some of its inputs.

    Attributes:
        indexes: Input positions the answer names (may be empty).
        status: The HTTP status (400 or 409).
    """

    def __init__(self, message: str, *, code: str | None, indexes: tuple[int, ...], status: int):
        super().__init__(message, code=code)
        self.indexes = indexes
        self.status = status


class _LoginRefusedError(ConfigError):
    """The OAuth token exchange itself was refused (renewing again cannot help)."""


class _ReusedApis:
    """An SDK ``api_factory`` that builds each API object once per client.

    The SDK's own factory builds a new API client, with a new connection pool, every time an
    API is named (``sdk.crm.objects.search_api``), so every request opened a new connection:
    a TCP and TLS handshake per page of a 100,000-record read. Kept, each API reuses its
    pool's connections (urllib3 pools are thread-safe).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[tuple[str, str], Any] = {}

    def __call__(self, package: Any, api_name: str, config: dict[str, Any]) -> Any:
        key = (package.__name__, api_name)
        with self._lock:
            api = self._made.get(key)
            if api is None:
                api = DiscoveryBase._default_api_factory(package, api_name, config)
                self._made[key] = api
            return api


class HubSpotApi:
    """One portal's SDK client with budget, retry, one re-auth (OAuth) and error mapping."""

    def __init__(self, settings: HubSpotSettings, deps: ConnectorDeps) -> None:
        self.settings = settings
        self.deps = deps
        self._lock = threading.Lock()
        self._client: Any = None
        key = settings.portal_id or _fingerprint(settings)
        self.bucket = deps.rate_buckets.get(
            f"hubspot:{key}",
            lambda: TokenBucket(
                settings.rate_limit, settings.rate_window, clock=deps.retry.clock, sleep=deps.sleep
            ),
        )

    def __repr__(self) -> str:
        return f"HubSpotApi(base_url={self.settings.base_url!r})"

    def sdk(self) -> Any:
        """The ``hubspot.Client``, authenticated (OAuth: exchanging the refresh token)."""
        with self._lock:
            if self._client is None:
                token = self._access_token()
                options: dict[str, Any] = {"host": self.settings.base_url.rstrip("/")}
                if self.deps.ca_path:
                    options["ssl_ca_cert"] = self.deps.ca_path
                # Our retry policy sees every fault: the SDK's urllib3 retries stay off.
                retry = Retry(total=0, connect=0, read=0, redirect=0, status=0)
                self._client = hubspot.Client.create(
                    access_token=token, retry=retry, api_factory=_ReusedApis(), **options
                )
            return self._client

    def call(self, fn: Callable[[Any], Any], *, per_record: bool = False) -> Any:
        """Run ``fn(sdk)`` (one API request) and return its decoded JSON answer.

        Raises:
            ConfigError: Credentials rejected (after one token renewal for OAuth).
            RetryableError / RateLimitError: After the retry policy gave up.
            BatchRejectedError: ``per_record`` calls refused as a whole (400/409).
            FatalError: Any other refusal.
        """
        return self.deps.retry.call(self._call_with_reauth, fn, per_record)

    def _call_with_reauth(self, fn: Callable[[Any], Any], per_record: bool) -> Any:
        try:
            return self._once(fn, per_record)
        except ConfigError as exc:
            if isinstance(exc, _LoginRefusedError) or not isinstance(self.settings.auth, OAuthAuth):
                raise
            log.info("HubSpot access token refused; renewing it once")
            with self._lock:
                self._client = None
            return self._once(fn, per_record)

    def _once(self, fn: Callable[[Any], Any], per_record: bool) -> Any:
        sdk = self.sdk()
        self.bucket.acquire()
        try:
            resp = fn(sdk)
        except Exception as exc:
            raise _translate(exc, per_record) from exc
        data = getattr(resp, "data", b"")
        return jsoncodec.loads(data) if data else None

    def _access_token(self) -> str:
        auth = self.settings.auth
        if not isinstance(auth, OAuthAuth):
            return auth.access_token.get_secret_value()
        client = hubspot.Client.create(host=self.settings.base_url.rstrip("/"),
                                       ssl_ca_cert=self.deps.ca_path)  # fmt: skip

        def exchange() -> Any:
            try:
                return client.oauth.tokens_api.create(
                    grant_type="refresh_token",
                    client_id=auth.client_id,
                    client_secret=auth.client_secret.get_secret_value(),
                    refresh_token=auth.refresh_token.get_secret_value(),
                    _preload_content=False,
                )
            except Exception as exc:
                raise _translate(exc, False, login=True) from exc

        answer = json.loads(self.deps.retry.call(exchange).data)
        return str(answer["access_token"])


def _fingerprint(settings: HubSpotSettings) -> str:
    auth = settings.auth
    secret = (
        auth.refresh_token.get_secret_value()
        if isinstance(auth, OAuthAuth)
        else auth.access_token.get_secret_value()
    )
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _translate(exc: Exception, per_record: bool, *, login: bool = False) -> LeadsyncError:
    status = getattr(exc, "status", None)
    # Every SDK sub-package has its own ApiException (and 401/403/404/5xx subclasses of it).
    sdk_error = any(c.__name__ == "ApiException" for c in type(exc).__mro__)
    if sdk_error and isinstance(status, int):
        body = _body(getattr(exc, "body", None))
        code = str(body.get("category") or body.get("errorType") or "") or None
        policy = body.get("policyName")
        message = str(body.get("message") or getattr(exc, "reason", "") or "")[:500]
        if login and status in (400, 401, 403):
            return _LoginRefusedError(f"HubSpot token exchange refused: {message}", code=code)
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 429 or (status == 403 and policy):
            code = str(policy or code or "RATE_LIMIT")
            if code == "DAILY":  # waiting seconds will not help: pause the job
                return BudgetExhaustedError(f"HubSpot daily limit reached: {message}", code=code)
        if per_record and status in (400, 409):
            return BatchRejectedError(message, code=code, indexes=_indexes(body), status=status)
        return error_for(status, message, code=code, headers=headers, rate_codes=RATE_CODES)
    if isinstance(exc, urllib3.exceptions.HTTPError):
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, urllib3.exceptions.SSLError):
            return FatalError(f"TLS failure talking to HubSpot: {type(reason).__name__}")
        return RetryableError(f"transport failure: {type(exc).__name__}", code="TRANSPORT")
    if isinstance(exc, LeadsyncError):
        return exc
    return FatalError(f"HubSpot call failed: {type(exc).__name__}: {exc}")


def _body(raw: Any) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        body = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {"message": str(raw)[:200]}
    return body if isinstance(body, dict) else {}


def _indexes(body: dict[str, Any]) -> tuple[int, ...]:
    found: set[int] = set()
    for detail in body.get("errors") or ():
        for raw in (detail.get("context") or {}).get("inputIndex") or ():
            if str(raw).isdigit():
                found.add(int(raw))
    return tuple(sorted(found))
