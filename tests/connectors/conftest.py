"""Sandbox fixtures for the connector tests (one TLS server per session, clean state per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sf_connector_harness import PASSWORD

from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
from leadsync.sandbox.hubspot import HubSpotSettings as SandboxHubSpotSettings
from leadsync.sandbox.runtime import RunningServer, serve
from leadsync.sandbox.salesforce import SalesforceSandbox, create_app

_SANDBOX = SalesforceSandbox(password=PASSWORD)


@pytest.fixture(scope="session")
def sf_server() -> Iterator[RunningServer]:
    with serve(create_app(_SANDBOX), tls=True) as server:
        yield server


@pytest.fixture
def sf_sandbox(sf_server: RunningServer) -> Iterator[SalesforceSandbox]:
    _SANDBOX.username = "admin@leadsync.example"
    _SANDBOX.reset()
    _SANDBOX.daily_limit = None
    _SANDBOX.duplicate_rule = False
    yield _SANDBOX
    _SANDBOX.faults.clear()


@pytest.fixture
def sf_session(sf_server: RunningServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    session.verify = sf_server.ca_path or True
    yield session
    session.close()


_HUBSPOT = HubSpotSandbox()


@pytest.fixture(scope="session")
def hs_server() -> Iterator[RunningServer]:
    with _HUBSPOT.serve(tls=True) as server:
        yield server


@pytest.fixture
def hs_sandbox(hs_server: RunningServer) -> Iterator[HubSpotSandbox]:
    _HUBSPOT.reset()
    for name, value in vars(SandboxHubSpotSettings()).items():
        setattr(_HUBSPOT.settings, name, value)
    _HUBSPOT.tokens = {DEFAULT_TOKEN}
    _HUBSPOT.expired_tokens = set()
    yield _HUBSPOT
    _HUBSPOT.faults.clear()
