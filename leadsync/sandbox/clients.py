"""Real vendor SDK clients wired to a running sandbox (TLS trust set up, proxies ignored)."""

from __future__ import annotations

from typing import Any

import requests

from leadsync.sandbox.runtime import RunningServer

DEFAULT_USERNAME = "admin@leadsync.example"
DEFAULT_PASSWORD = "sandbox"  # noqa: S105 - the emulator's fixed, public test credential


def sandbox_session(server: RunningServer) -> requests.Session:
    """A ``requests`` session that trusts the sandbox CA.

    ``trust_env`` is off because ``REQUESTS_CA_BUNDLE`` (set on CI machines) would otherwise
    silently override ``verify``; it also keeps proxies away from loopback.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = server.ca_path if server.ca_path else True
    return session


def salesforce_token(
    server: RunningServer,
    *,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Run the OAuth password grant against the sandbox and return the token answer.

    Raises:
        requests.HTTPError: If the sandbox rejects the credentials.
    """
    http = session or sandbox_session(server)
    form = {"grant_type": "password", "client_id": "leadsync", "username": username}
    form["password"] = password
    resp = http.post(f"{server.base_url}/services/oauth2/token", data=form, timeout=10)
    resp.raise_for_status()
    token: dict[str, Any] = resp.json()
    return token


def salesforce_client(server: RunningServer, *, version: str = "60.0") -> Any:
    """A real ``simple_salesforce.Salesforce`` logged in to the sandbox via OAuth.

    Args:
        server: A running Salesforce sandbox (served with ``tls=True``).
        version: REST API version.

    Returns:
        A ``simple_salesforce.Salesforce`` instance.
    """
    from simple_salesforce.api import Salesforce

    session = sandbox_session(server)
    token = salesforce_token(server, session=session)
    return Salesforce(
        instance_url=token["instance_url"],
        session_id=token["access_token"],
        session=session,
        version=version,
    )
