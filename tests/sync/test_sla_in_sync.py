"""Speed to lead end to end: a lead nobody touched in the CRM is escalated to the next rep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, wiring_for

from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.sync.escalation import escalate_job
from leadsync.sync.runner import run_job


def test_unanswered_lead_is_escalated_and_answered_one_is_not(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    seed = seed_salesforce(crms.salesforce, seed=8, leads=0, contacts=0, accounts=0, users=2)
    reps = sorted(crms.salesforce.get("User", uid)["Email"] for uid in seed.users)  # type: ignore[index]
    seed_hubspot(crms.hubspot, seed=8, contacts=2, owners=1, duplicate_rate=0.0)
    routing = {"rules": [{"name": "all", "assign": {"team": "sales"}}],
               "teams": {"sales": {"members": [{"email": e} for e in reps]}},
               "first_response_minutes": {"cold": 15}}  # fmt: skip
    project = project_for(crms, db_url, routing=routing)
    start = datetime.now(UTC)
    clock = {"now": start}
    run_job(wiring_for(crms, project), factory, "hs-to-sf", clock=lambda: clock["now"])
    leads = crms.salesforce.rows("Lead")
    assert len(leads) == 2
    owners_before = {lead["Id"]: lead["OwnerId"] for lead in leads}
    answered, ignored = sorted(owners_before)
    crms.salesforce.update("Lead", answered, {"Status": "Working - Contacted"})
    clock["now"] = start + timedelta(minutes=5)
    run_job(wiring_for(crms, project), factory, "hs-to-sf", clock=lambda: clock["now"])
    clock["now"] = start + timedelta(minutes=20)
    breaches = escalate_job(wiring_for(crms, project), factory, "hs-to-sf", lambda: clock["now"])
    assert len(breaches) == 1
    after = {lead["Id"]: lead["OwnerId"] for lead in crms.salesforce.rows("Lead")}
    assert after[answered] == owners_before[answered]
    assert after[ignored] != owners_before[ignored]
    assert escalate_job(wiring_for(crms, project), factory, "hs-to-sf", lambda: clock["now"]) == []
