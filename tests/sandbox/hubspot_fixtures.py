"""Fixtures for the HubSpot sandbox tests: one TLS server per session, a clean portal per test.

Import the fixtures into a test module with ``from hubspot_fixtures import *  # noqa: F403``
(a star import, so fixture parameters do not read as redefinitions to the linter).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox, HubSpotSettings, hubspot_client
from leadsync.sandbox.runtime import RunningServer

__all__ = ["hs_client", "hs_http", "hs_sandbox", "hs_server"]

_SANDBOX = HubSpotSandbox()


@pytest.fixture(scope="session")
def hs_server() -> Iterator[RunningServer]:
    """The shared sandbox served over HTTPS (throw-away CA)."""
    with _SANDBOX.serve(tls=True) as server:
        yield server


@pytest.fixture
def hs_sandbox(hs_server: RunningServer) -> Iterator[HubSpotSandbox]:
    """The served sandbox, emptied and back to default settings and tokens."""
    _SANDBOX.reset()
    defaults = HubSpotSettings()
    for name, value in vars(defaults).items():
        setattr(_SANDBOX.settings, name, value)
    _SANDBOX.tokens = {DEFAULT_TOKEN}
    _SANDBOX.expired_tokens = set()
    yield _SANDBOX
    _SANDBOX.faults.clear()


@pytest.fixture
def hs_client(hs_server: RunningServer, hs_sandbox: HubSpotSandbox) -> Any:
    """The real ``hubspot.Client`` (retries off) pointed at the clean sandbox."""
    return hubspot_client(hs_server)


@pytest.fixture
def hs_http(hs_server: RunningServer, hs_sandbox: HubSpotSandbox) -> Iterator[httpx.Client]:
    """A raw HTTP client with the sandbox token, for wire-level checks."""
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    assert hs_server.ca_path is not None
    context = ssl.create_default_context(cafile=hs_server.ca_path)
    with httpx.Client(base_url=hs_server.base_url, headers=headers, verify=context) as c:
        yield c
