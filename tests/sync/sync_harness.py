"""Helpers for engine tests: a project and wiring pointed at the CRM sandboxes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from leadsync.config.project import Project
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.retry import RetryPolicy
from leadsync.sandbox.clients import DEFAULT_PASSWORD, DEFAULT_USERNAME, sandbox_session
from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
from leadsync.sandbox.runtime import RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox
from leadsync.sync.wiring import Wiring

os.environ.setdefault("TEST_SF_PASSWORD", DEFAULT_PASSWORD)
os.environ.setdefault("TEST_HS_TOKEN", DEFAULT_TOKEN)


@dataclass
class Crms:
    salesforce: SalesforceSandbox
    sf_server: RunningServer
    hubspot: HubSpotSandbox
    hs_server: RunningServer


def project_for(crms: Crms, db_url: str, **extra: Any) -> Project:
    data: dict[str, Any] = {
        "store": {"url": db_url},
        "connectors": {
            "salesforce": {"type": "salesforce", "settings": {
                "auth": {"kind": "password", "username": DEFAULT_USERNAME,
                         "password": "${TEST_SF_PASSWORD}", "client_id": "tests",
                         "client_secret": "env:TEST_SF_PASSWORD"},
                "login_url": crms.sf_server.base_url}},
            "hubspot": {"type": "hubspot", "settings": {
                "auth": {"kind": "private_app", "access_token": "${TEST_HS_TOKEN}"},
                "base_url": crms.hs_server.base_url, "rate_limit": 10_000}},
        },
        "policy": {"objects": {"lead": {"master": "salesforce"}}},
        "jobs": [{"name": "hs-to-sf", "sources": [{"connector": "hubspot", "object": "contacts"}],
                  "target": "salesforce", "object": "Lead", "batch_size": 50}],
    }  # fmt: skip
    data.update(extra)
    return Project.model_validate(data)


def fast_retry() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _seconds: None)


def wiring_for(crms: Crms, project: Project) -> Wiring:
    deps = {
        "salesforce": ConnectorDeps(
            requests_session=sandbox_session(crms.sf_server),
            retry=fast_retry(),
            sleep=lambda _s: None,
        ),
        "hubspot": ConnectorDeps(retry=fast_retry(), sleep=lambda _s: None),
    }
    return Wiring(project, deps=deps)


SF_WRITES = ("composite.create", "composite.update", "composite.upsert", "composite.delete",
             "create.", "update.", "upsert.", "delete.", "bulk2.ingest.create")  # fmt: skip


def sf_calls(crms: Crms, prefixes: tuple[str, ...] = SF_WRITES) -> int:
    """API calls the Salesforce sandbox counted on endpoints starting with ``prefixes``."""
    snapshot = crms.salesforce.calls.snapshot()
    return sum(n for endpoint, (n, _) in snapshot.items() if endpoint.startswith(prefixes))
