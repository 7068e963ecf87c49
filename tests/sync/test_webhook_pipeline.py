"""Webhooks through the real receiver, inbox and pipeline into the Salesforce sandbox."""

from __future__ import annotations

import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, wiring_for

from leadsync.mapping.normalize import email_match_key
from leadsync.sandbox.runtime import serve
from leadsync.server.app import create_app
from leadsync.server.settings import ServerSettings, WebhookSourceConfig, standard_key
from leadsync.server.signatures import sign_standard
from leadsync.store.models import InboxEvent
from leadsync.sync.inbox import InboxDispatcher

SECRET = "whsec_" + base64.b64encode(b"pipeline-test-secret-0123456789").decode()
JOB = {"name": "forms-to-sf", "sources": [{"connector": "website", "object": "submissions"}],
       "target": "salesforce", "object": "Lead", "batch_size": 50}  # fmt: skip


def _post(url: str, msg_id: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    signature = sign_standard(standard_key(SECRET), msg_id, stamp, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
    }
    with requests.Session() as http:
        http.trust_env = False
        return http.post(url, data=body, headers=headers, timeout=30).status_code


def _settled(factory: sessionmaker[Session], expected: int) -> dict[str, int]:
    deadline = time.monotonic() + 30
    while True:
        with factory() as session:
            counts = dict(
                session.execute(
                    select(InboxEvent.status, func.count()).group_by(InboxEvent.status)
                ).all()
            )
        if counts.get("done", 0) + counts.get("failed", 0) >= expected:
            return counts
        assert time.monotonic() < deadline, counts
        time.sleep(0.05)


def test_webhook_leads_reach_the_crm_once_and_known_people_are_matched(
    crms: Crms, db_url: str, engine: Engine, factory: sessionmaker[Session]
) -> None:
    known = crms.salesforce.create(
        "Lead",
        {
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "Company": "Engines",
            "Email": "ada@engines.example",
        },
    )
    project = project_for(
        crms,
        db_url,
        jobs=[JOB],
        connectors={
            **project_for(crms, db_url).model_dump()["connectors"],
            "website": {"type": "forms", "settings": {}},
        },
    )
    wiring = wiring_for(crms, project)
    config = WebhookSourceConfig(name="website", scheme="standard", secrets=[SECRET])
    app = create_app(
        ServerSettings(sources=[config]),
        engine=engine,
        processor=InboxDispatcher.for_project(wiring, factory),
    )
    app.state.consumer.start()
    server = serve(app, tls=False)
    try:
        url = f"{server.base_url}/hooks/website"
        names = [
            ("Grace", "Hopper"),
            ("Alan", "Turing"),
            ("Edsger", "Dijkstra"),
            ("Barbara", "Liskov"),
            ("Donald", "Knuth"),
        ]
        people: list[dict[str, Any]] = [
            {"submission_id": f"s{i}", "fields": {
                "email": f"{last.lower()}@forms.example", "firstname": first, "lastname": last,
                "company": "Forms Inc"}}
            for i, (first, last) in enumerate(names)
        ]  # fmt: skip
        people.append(
            {
                "submission_id": "ada",
                "fields": {
                    "email": "ADA@Engines.example",
                    "firstname": "Ada",
                    "lastname": "Lovelace",
                },
            }
        )
        statuses = [_post(url, str(uuid.uuid4()), p) for p in people]
        assert statuses == [202] * 6
        repeated_id = str(uuid.uuid4())
        burst = {
            "submission_id": "dup",
            "fields": {"email": "burst@forms.example", "firstname": "Bea", "lastname": "Burst"},
        }
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda _i: _post(url, repeated_id, burst), range(20)))
        assert sorted(set(answers)) in ([200, 202], [202])
        assert answers.count(202) == 1
        counts = _settled(factory, 7)
        assert counts.get("done") == 7, counts
    finally:
        app.state.consumer.stop()
        server.stop()
        wiring.close()
    leads = crms.salesforce.rows("Lead")
    keys = [email_match_key(r.get("Email")) for r in leads]
    assert sorted(k for k in keys if k and k.endswith("forms.example")) == sorted(
        [f"{last.lower()}@forms.example" for _, last in names] + ["burst@forms.example"]
    )
    assert keys.count("ada@engines.example") == 1  # matched, not created again
    assert crms.salesforce.get("Lead", known["Id"]) is not None
