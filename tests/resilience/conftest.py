"""Fixtures of the multi-process tests: one sandbox pair (Salesforce + HubSpot) per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from resilience_rig import Sandboxes, running_sandboxes


@pytest.fixture(scope="session")
def boxes() -> Iterator[Sandboxes]:
    with running_sandboxes() as running:
        yield running
