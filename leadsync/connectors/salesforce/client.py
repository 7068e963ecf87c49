"""The Salesforce REST transport: token, retry, one re-auth on INVALID_SESSION_ID, budget."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import requests

from leadsync import jsoncodec
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.http import error_for_transport
from leadsync.connectors.salesforce.auth import Token, can_renew, login
from leadsync.connectors.salesforce.errors import INVALID_SESSION, ApiBudget, error_for_response
from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.errors import ConfigError, FatalError

log = logging.getLogger(__name__)


class SalesforceClient:
    """Sends REST calls to one org; every call is retried by the shared policy.

    Args:
        settings: Connector settings.
        deps: Session, retry policy, clock and sleep.
    """

    def __init__(self, settings: SalesforceSettings, deps: ConnectorDeps) -> None:
        self.settings = settings
        self.deps = deps
        self.session = deps.requests_session or requests.Session()
        self.budget = ApiBudget(settings.budget_share)
        self._token: Token | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SalesforceClient(api_version={self.settings.api_version!r})"

    @property
    def base(self) -> str:
        """Path prefix of the versioned REST API."""
        return f"/services/data/v{self.settings.api_version}"

    def token(self) -> Token:
        """The current token, logging in first when there is none."""
        with self._lock:
            if self._token is None:
                self._token = self.deps.retry.call(login, self.settings, self.session)
            return self._token

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API call (path relative to the REST base unless it starts with /services).

        Returns:
            The successful answer.

        Raises:
            ConfigError: Credentials rejected (after one re-authentication).
            BudgetExhaustedError: The daily API share is spent.
            RetryableError: Transient failure after the retry policy gave up.
            FatalError / RejectedRecordError: Per the status table.
        """
        sent = dict(headers or {})
        if json is not None:
            # Encoded once for every retry, and with orjson: batch bodies carry 200 records.
            data = jsoncodec.dump_bytes(json)
            sent.setdefault("Content-Type", "application/json")
        return self.deps.retry.call(self._call_with_reauth, method, path, params, None, data, sent)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`call` and decode the JSON answer (None for an empty body)."""
        resp = self.call(method, path, **kwargs)
        if not resp.content:
            return None
        try:
            return jsoncodec.loads(resp.content)
        except ValueError as exc:
            raise FatalError(f"{method} {path}: answer is not JSON") from exc

    def _call_with_reauth(self, *args: Any) -> requests.Response:
        try:
            return self._once(*args)
        except ConfigError as exc:
            if exc.code != INVALID_SESSION or not can_renew(self.settings):
                raise
            log.info("Salesforce session expired; authenticating again")
            with self._lock:
                self._token = None
            return self._once(*args)

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str],
    ) -> requests.Response:
        self.budget.check()
        token = self.token()
        url = token.instance_url + (path if path.startswith("/services") else f"{self.base}/{path}")
        sent = {"Authorization": f"Bearer {token.access_token}", **headers}
        try:
            resp = self.session.request(
                method, url, params=params, json=json, data=data, headers=sent,
                timeout=self.settings.timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            transport = error_for_transport(exc)
            if transport is None:
                raise FatalError(f"{method} {path}: {type(exc).__name__}") from exc
            raise transport from exc
        self.budget.note(resp.headers.get("Sforce-Limit-Info"))
        if resp.status_code >= 300:
            raise error_for_response(resp, self.budget)
        return resp
