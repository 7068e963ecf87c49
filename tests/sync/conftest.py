"""Fixtures for end-to-end engine tests: both CRM sandboxes and a migrated store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms

from leadsync.sandbox.hubspot import HubSpotSandbox
from leadsync.sandbox.runtime import RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from leadsync.store.engine import session_factory


@pytest.fixture(scope="module")
def crm_servers() -> Iterator[
    tuple[SalesforceSandbox, RunningServer, HubSpotSandbox, RunningServer]
]:
    salesforce, hubspot = SalesforceSandbox(), HubSpotSandbox()
    with serve_salesforce(salesforce) as sf_server, hubspot.serve(tls=False) as hs_server:
        yield salesforce, sf_server, hubspot, hs_server


@pytest.fixture
def crms(crm_servers: tuple[Any, ...]) -> Iterator[Crms]:
    salesforce, sf_server, hubspot, hs_server = crm_servers
    salesforce.reset()
    hubspot.reset()
    yield Crms(salesforce, sf_server, hubspot, hs_server)
    salesforce.faults.clear()
    hubspot.faults.clear()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
