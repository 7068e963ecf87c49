"""A real pipeline for ``benchmarks/webhook_latency.py``: forms → match → merge → Salesforce.

Usage::

    .venv/bin/python benchmarks/webhook_latency.py --processor webhook_pipeline:make

(run from the ``benchmarks`` folder, or with it on ``PYTHONPATH``). ``make(engine)`` starts a
Salesforce sandbox in this process, seeds it, and returns the inbox processor a ``leadsync
serve`` process would use, so receive → processed is receive → lead written (with its owner,
when routing is configured) in the CRM.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine

from leadsync.config.project import Project
from leadsync.connectors.deps import ConnectorDeps
from leadsync.sandbox.clients import DEFAULT_PASSWORD, DEFAULT_USERNAME, sandbox_session
from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.server.consumer import InboxProcessor
from leadsync.store.engine import session_factory
from leadsync.sync.inbox import InboxDispatcher
from leadsync.sync.wiring import Wiring

_KEEP: list[Any] = []  # servers live as long as the benchmark process


def make(engine: Engine) -> InboxProcessor:
    """Return an inbox processor that syncs ``bench`` form events into a Salesforce sandbox."""
    os.environ.setdefault("BENCH_SF_PASSWORD", DEFAULT_PASSWORD)
    salesforce = SalesforceSandbox()
    seed_salesforce(salesforce, seed=5, leads=2_000, contacts=0, accounts=50, users=5)
    server = serve_salesforce(salesforce)
    _KEEP.append(server)
    project = Project.model_validate({
        "connectors": {
            "salesforce": {"type": "salesforce", "settings": {
                "auth": {"kind": "password", "username": DEFAULT_USERNAME,
                         "password": "${BENCH_SF_PASSWORD}", "client_id": "bench",
                         "client_secret": "${BENCH_SF_PASSWORD}"},
                "login_url": server.base_url}},
            "bench": {"type": "forms", "settings": {}},
        },
        "jobs": [{"name": "bench-forms", "target": "salesforce", "object": "Lead",
                  "sources": [{"connector": "bench", "object": "submissions"}]}],
    })  # fmt: skip
    deps = {"salesforce": ConnectorDeps(requests_session=sandbox_session(server))}
    wiring = Wiring(project, deps=deps)
    dispatcher = InboxDispatcher.for_project(wiring, session_factory(engine))
    for pipeline in dispatcher.pipelines.values():
        pipeline.refresh(force=True)  # warm the index before the clock starts
    return dispatcher
