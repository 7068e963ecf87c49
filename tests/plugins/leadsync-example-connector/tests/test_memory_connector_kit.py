"""The example plugin passes the conformance kit: the whole test module a plugin needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from leadsync_example_connector import MemoryCrm, MemoryCrmConnector, MemoryCrmSettings
from leadsync_example_connector.store import Row

from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.testing import (
    DestinationContract,
    Fault,
    Harness,
    SourceContract,
    fast_retry,
)


class MemoryHarness(Harness):
    object = "contacts"
    page_size = 50
    key_field = "email"
    secrets = ("tok-very-secret",)

    def __init__(self) -> None:
        self.crm = MemoryCrm(token="tok-very-secret")

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        ids = []
        for i in range(count):
            rid = self.crm.new_id()
            self.crm.rows[rid] = Row({"email": f"seed{rid}@example.com"}, start + i * step)
            ids.append(rid)
        return ids

    def delete(self, record_id: str) -> bool:
        self.crm.rows[record_id].deleted = True
        return True

    def inject(self, fault: Fault, times: int = 1) -> bool:
        self.crm.faults.extend([str(fault)] * times)
        return True

    def break_auth(self) -> bool:
        self.crm.token = "rotated"
        return True

    def calls(self) -> int:
        return self.crm.calls

    def new_fields(self, i: int) -> dict[str, Any]:
        return {"email": f"new{i}@example.com", "first_name": f"N{i}"}

    def bad_fields(self, i: int) -> dict[str, Any]:
        return {"email": "not-an-email"}

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        row = self.crm.rows.get(record_id)
        return row.fields if row else None

    def count(self, field: str, value: Any) -> int:
        return sum(1 for r in self.crm.rows.values() if r.fields.get(field) == value)

    def add_owner(self, email: str) -> bool:
        self.crm.users[email] = f"u{len(self.crm.users) + 1}"
        return True


class TestMemoryCrmConformance(SourceContract, DestinationContract):
    @pytest.fixture
    def harness(self) -> MemoryHarness:
        return MemoryHarness()

    @pytest.fixture
    def connector(self, harness: MemoryHarness) -> MemoryCrmConnector:
        settings = MemoryCrmSettings(token="tok-very-secret")
        return MemoryCrmConnector(settings, deps=ConnectorDeps(retry=fast_retry()), crm=harness.crm)


def test_plugin_is_discovered_through_the_entry_point() -> None:
    from leadsync.connectors import registry

    assert registry.load("memory") is MemoryCrmConnector
    info = next(i for i in registry.describe_all() if i.name == "memory")
    assert info.dist is not None
    assert info.dist.startswith("leadsync-example-connector")
    assert info.roles == ("source", "destination")
