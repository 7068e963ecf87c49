"""Salesforce kit harness and connector builders shared by the Salesforce connector tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import requests

from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.salesforce import PasswordAuth, SalesforceConnector, SalesforceSettings
from leadsync.connectors.testing import Fault, Harness, fast_retry
from leadsync.sandbox.runtime import FaultKind, RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox

PASSWORD = "pw-Zq81-not-for-logs"
CLIENT_SECRET = "sf-client-secret-value"


def sf_settings(server: RunningServer, sandbox: SalesforceSandbox, **kw: Any) -> SalesforceSettings:
    auth = PasswordAuth(
        username=sandbox.username, password=PASSWORD, client_id="cid", client_secret=CLIENT_SECRET
    )
    values: dict[str, Any] = {"auth": auth, "login_url": server.base_url, **kw}
    values.setdefault("bulk_poll_interval", 0.0)
    return SalesforceSettings(**values)


def sf_connector(
    server: RunningServer, sandbox: SalesforceSandbox, session: requests.Session, **kw: Any
) -> SalesforceConnector:
    deps = ConnectorDeps(requests_session=session, retry=fast_retry(), sleep=lambda _s: None)
    return SalesforceConnector(sf_settings(server, sandbox, **kw), deps=deps)


class SalesforceHarness(Harness):
    object = "Lead"
    page_size = 2000
    key_field = "Leadsync_Id__c"
    secrets = (PASSWORD, CLIENT_SECRET)

    def __init__(self, sandbox: SalesforceSandbox) -> None:
        self.sb = sandbox
        self.n = 0

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        ids = []
        for _ in range(count):
            self.n += 1
            data = {"LastName": f"Seed{self.n}", "Company": "Acme", "Email": f"s{self.n}@x.io"}
            ids.append(self.sb.create("Lead", data)["Id"])
        rows = {r["Id"]: r for r in self.sb.rows("Lead")}
        for i, rid in enumerate(ids):  # rows() hands out the live dicts: pin the cursor value
            rows[rid]["SystemModstamp"] = rows[rid]["LastModifiedDate"] = start + i * step
        return ids

    def delete(self, record_id: str) -> bool:
        self.sb.delete("Lead", record_id)
        return True

    def inject(self, fault: Fault, times: int = 1) -> bool:
        kind = FaultKind.RATE_LIMIT if fault is Fault.RATE_LIMIT else FaultKind.UNAVAILABLE
        self.sb.faults.fail_next(times, kind, retry_after=0)
        return True

    def break_auth(self) -> bool:
        self.sb.expire_token()
        self.sb.username = "someone.else@leadsync.example"  # the password grant now fails
        return True

    def calls(self) -> int:
        return self.sb.calls.calls()

    def new_fields(self, i: int) -> dict[str, Any]:
        return {"LastName": f"New{i}", "Company": "Acme", "Email": f"new{i}@x.io",
                "Leadsync_Id__c": f"ext-{i}"}  # fmt: skip

    def bad_fields(self, i: int) -> dict[str, Any]:
        return {"Company": "Acme", "Leadsync_Id__c": f"bad-{i}"}  # LastName is required

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        return self.sb.get("Lead", record_id)

    def count(self, field: str, value: Any) -> int:
        return sum(1 for r in self.sb.rows("Lead") if r.get(field) == value)

    def add_owner(self, email: str) -> bool:
        self.sb.create("User", {"Username": email, "Email": email, "LastName": "Owner"})
        return True
