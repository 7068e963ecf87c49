"""Salesforce OAuth flows: each turns settings into an access token and instance URL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from leadsync.connectors.http import error_for, error_for_transport
from leadsync.connectors.salesforce.settings import (
    JwtAuth,
    PasswordAuth,
    RefreshTokenAuth,
    SalesforceSettings,
    SessionAuth,
)
from leadsync.errors import ConfigError

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    """An access token and where to use it."""

    access_token: str
    instance_url: str

    def __repr__(self) -> str:
        return f"Token(instance_url={self.instance_url!r}, access_token=***)"


def can_renew(settings: SalesforceSettings) -> bool:
    """True when a fresh token can be had without a person (not a fixed session id)."""
    return not isinstance(settings.auth, SessionAuth)


def login(settings: SalesforceSettings, session: requests.Session) -> Token:
    """Authenticate with the configured flow.

    Raises:
        ConfigError: Credentials rejected or settings incomplete.
        RetryableError: The login server is unreachable or failing.
    """
    auth = settings.auth
    if isinstance(auth, SessionAuth):
        return Token(auth.session_id.get_secret_value(), auth.instance_url.rstrip("/"))
    if isinstance(auth, PasswordAuth):
        form = {
            "grant_type": "password",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value(),
            "username": auth.username,
            "password": auth.password.get_secret_value() + auth.security_token.get_secret_value(),
        }
    elif isinstance(auth, RefreshTokenAuth):
        form = {
            "grant_type": "refresh_token",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value(),
            "refresh_token": auth.refresh_token.get_secret_value(),
        }
    else:
        form = {"grant_type": JWT_GRANT, "assertion": _assertion(auth, settings)}
    return _token_request(settings, session, form)


def _assertion(auth: JwtAuth, settings: SalesforceSettings) -> str:
    if auth.private_key is not None:
        key = auth.private_key.get_secret_value()
    elif auth.private_key_file is not None:
        key = auth.private_key_file.read_text()
    else:
        raise ConfigError("JWT auth needs private_key or private_key_file")
    claims = {
        "iss": auth.client_id,
        "sub": auth.username,
        "aud": settings.effective_login_url,
        "exp": int(time.time()) + 180,
    }
    try:
        return jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigError(f"JWT private key is not a usable RSA key: {type(exc).__name__}") from exc


def _token_request(
    settings: SalesforceSettings, session: requests.Session, form: dict[str, str]
) -> Token:
    url = f"{settings.effective_login_url}/services/oauth2/token"
    try:
        resp = session.post(url, data=form, timeout=settings.timeout)
    except requests.RequestException as exc:
        transport = error_for_transport(exc)
        if transport is None:
            raise ConfigError(f"cannot reach {url}: {type(exc).__name__}") from exc
        raise transport from exc
    body = _json(resp)
    if resp.status_code in (400, 401, 403):
        # OAuth errors ("invalid_grant", "invalid_client") mean the credentials are wrong.
        text = str(body.get("error_description") or body.get("error") or "login refused")
        raise ConfigError(f"Salesforce login failed: {text}", code=str(body.get("error", "")))
    if resp.status_code >= 300:
        raise error_for(resp.status_code, "login failed", headers=resp.headers)
    try:
        return Token(str(body["access_token"]), str(body["instance_url"]).rstrip("/"))
    except KeyError as exc:
        raise ConfigError(f"login answer lacks {exc.args[0]}") from exc


def _json(resp: requests.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
