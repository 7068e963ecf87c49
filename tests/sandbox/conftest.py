"""Salesforce sandbox fixtures: one TLS server per session, a clean org per test.

(HubSpot fixtures live in ``hubspot_fixtures.py``; add, never remove, fixtures here.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadsync.sandbox.clients import salesforce_client
from leadsync.sandbox.runtime import RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce

_SF = SalesforceSandbox()


@pytest.fixture(scope="session")
def sf_server() -> Iterator[RunningServer]:
    """The shared Salesforce sandbox served over HTTPS (throw-away CA)."""
    with serve_salesforce(_SF) as server:
        yield server


@pytest.fixture
def sf_sandbox(sf_server: RunningServer) -> Iterator[SalesforceSandbox]:
    """The served sandbox, emptied, with default settings and no faults."""
    _SF.reset()
    _SF.daily_limit = None
    _SF.duplicate_rule = False
    yield _SF
    _SF.faults.clear()


@pytest.fixture
def sf(sf_server: RunningServer, sf_sandbox: SalesforceSandbox) -> Any:
    """A real simple_salesforce client logged in to the clean sandbox via OAuth."""
    return salesforce_client(sf_server)
