"""Fixtures for mapping tests: the default mapping files shipped with the connectors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadsync.mapping import Mapping, load_mapping
from leadsync.mapping.defaults import default_mapping_path

OBSERVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="session")
def sf_lead() -> Mapping:
    return load_mapping(default_mapping_path("leadsync.connectors.salesforce", "Lead"))


@pytest.fixture(scope="session")
def hs_contacts() -> Mapping:
    return load_mapping(default_mapping_path("leadsync.connectors.hubspot", "contacts"))
