"""HubSpot OAuth: the refresh token is exchanged, and renewed once when a token is refused.

The HubSpot sandbox has no OAuth endpoint, so a small ASGI layer in front of it answers
``POST /oauth/v1/token`` and registers each token it issues with the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.hubspot import HubSpotConnector, HubSpotSettings, OAuthAuth
from leadsync.connectors.testing import fast_retry
from leadsync.errors import ConfigError
from leadsync.sandbox.hubspot import HubSpotSandbox, create_app
from leadsync.sandbox.runtime import RunningServer, serve

REFRESH = "refresh-Qx7-never-logged"


class TokenEndpoint:
    def __init__(self, app: Any, sandbox: HubSpotSandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.issued: list[str] = []
        self.forms: list[dict[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/oauth/v1/token":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.forms.append(form)
        if form.get("refresh_token") != REFRESH:
            status, answer = 400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid"}
        else:
            token = f"oauth-access-{len(self.issued) + 1}"
            self.issued.append(token)
            self.sandbox.tokens.add(token)
            status, answer = (
                200,
                {"access_token": token, "expires_in": 1800, "token_type": "bearer"},
            )
        data = json.dumps(answer).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


@pytest.fixture
def oauth() -> Iterator[tuple[RunningServer, TokenEndpoint, HubSpotSandbox]]:
    sandbox = HubSpotSandbox()
    endpoint = TokenEndpoint(create_app(sandbox), sandbox)
    with serve(endpoint, tls=True) as server:
        yield server, endpoint, sandbox


def _conn(server: RunningServer, refresh: str) -> HubSpotConnector:
    auth = OAuthAuth(client_id="app-1", client_secret="app-secret-zz9", refresh_token=refresh)
    settings = HubSpotSettings(auth=auth, base_url=server.base_url)
    return HubSpotConnector(
        settings, deps=ConnectorDeps(ca_path=server.ca_path, retry=fast_retry())
    )


def test_refresh_token_exchanged_and_renewed_once(
    oauth: tuple[RunningServer, TokenEndpoint, HubSpotSandbox],
) -> None:
    server, endpoint, sandbox = oauth
    conn = _conn(server, REFRESH)
    conn.check()
    assert endpoint.issued == ["oauth-access-1"]
    assert endpoint.forms[0]["grant_type"] == "refresh_token"
    assert endpoint.forms[0]["client_secret"] == "app-secret-zz9"
    sandbox.expire_token("oauth-access-1")
    conn.check()
    assert endpoint.issued == ["oauth-access-1", "oauth-access-2"]
    assert REFRESH not in repr(conn)
    assert "app-secret-zz9" not in repr(conn)


def test_bad_refresh_token_is_config_error(
    oauth: tuple[RunningServer, TokenEndpoint, HubSpotSandbox],
) -> None:
    server, endpoint, _ = oauth
    with pytest.raises(ConfigError, match="token exchange refused"):
        _conn(server, "wrong").check()
    assert len(endpoint.forms) == 1, "a refused exchange is not retried"


def test_token_revoked_for_good_is_config_error(
    oauth: tuple[RunningServer, TokenEndpoint, HubSpotSandbox],
) -> None:
    server, endpoint, sandbox = oauth
    conn = _conn(server, REFRESH)
    conn.check()
    endpoint.sandbox = HubSpotSandbox()  # renewed tokens are registered elsewhere: refused
    sandbox.expire_token("oauth-access-1")
    with pytest.raises(ConfigError):
        conn.check()
    assert len(endpoint.issued) == 2, "exactly one renewal was tried"
