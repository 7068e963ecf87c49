"""HubSpot kit harness and connector builder shared by the HubSpot connector tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.hubspot import HubSpotConnector, HubSpotSettings, PrivateAppAuth
from leadsync.connectors.testing import Fault, Harness, fast_retry
from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
from leadsync.sandbox.hubspot.models import Owner
from leadsync.sandbox.runtime import FaultKind, RunningServer


def hs_connector(
    server: RunningServer, *, deps: ConnectorDeps | None = None, **kw: Any
) -> HubSpotConnector:
    settings = HubSpotSettings(
        auth=PrivateAppAuth(access_token=DEFAULT_TOKEN), base_url=server.base_url, **kw
    )
    deps = deps or ConnectorDeps(ca_path=server.ca_path, retry=fast_retry(), sleep=lambda _s: None)
    return HubSpotConnector(settings, deps=deps)


class HubSpotHarness(Harness):
    object = "contacts"
    page_size = 200
    key_field = "email"
    secrets = (DEFAULT_TOKEN,)

    def __init__(self, sandbox: HubSpotSandbox) -> None:
        self.sb = sandbox
        self.n = 0

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        state = self.sb.state
        with state.lock:
            store = state.store("contacts")
            ids = []
            for i in range(count):
                self.n += 1
                at = int((start + i * step).timestamp() * 1000)
                values = {"email": f"seed{self.n}@x.io", "firstname": f"S{self.n}"}
                ids.append(str(store.create(values, at_ms=at).id))
        return ids

    def delete(self, record_id: str) -> bool:
        with self.sb.state.lock:
            store = self.sb.state.store("contacts")
            obj = store.find(int(record_id))
            assert obj is not None
            store.archive(obj)
        return True

    def inject(self, fault: Fault, times: int = 1) -> bool:
        kind = FaultKind.RATE_LIMIT if fault is Fault.RATE_LIMIT else FaultKind.UNAVAILABLE
        self.sb.faults.fail_next(times, kind, retry_after=0)
        return True

    def break_auth(self) -> bool:
        self.sb.expire_token(DEFAULT_TOKEN)
        return True

    def calls(self) -> int:
        return self.sb.calls.calls()

    def new_fields(self, i: int) -> dict[str, Any]:
        return {"email": f"new{i}@x.io", "firstname": f"N{i}"}

    def bad_fields(self, i: int) -> dict[str, Any]:
        return {"email": f"bad{i}@x.io", "no_such_property_xyz": "1"}

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        obj = self.sb.state.store("contacts").find(int(record_id))
        return obj.properties if obj else None

    def count(self, field: str, value: Any) -> int:
        return sum(
            1 for o in self.sb.state.store("contacts").live() if o.properties.get(field) == value
        )

    def add_owner(self, email: str) -> bool:
        with self.sb.state.lock:
            oid = 900 + len(self.sb.state.owners)
            self.sb.state.owners[oid] = Owner(oid, email, "Kit", "Owner", oid + 1000, 0, 0)
        return True
