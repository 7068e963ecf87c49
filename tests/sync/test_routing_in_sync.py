"""Owners chosen by routing are written back in the same push as the record."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, sf_calls, wiring_for

from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.sync.runner import run_job


def test_every_created_lead_gets_its_round_robin_owner(
    crms: Crms, db_url: str, factory: sessionmaker[Session]
) -> None:
    seed = seed_salesforce(crms.salesforce, seed=4, leads=0, contacts=0, accounts=0, users=3)
    reps = {crms.salesforce.get("User", uid)["Email"]: uid for uid in seed.users}  # type: ignore[index]
    seed_hubspot(crms.hubspot, seed=4, contacts=60, owners=1, duplicate_rate=0.0)
    routing = {"rules": [{"name": "everyone", "assign": {"team": "sales"}}],
               "teams": {"sales": {"members": [{"email": e} for e in sorted(reps)]}}}  # fmt: skip
    wiring = wiring_for(crms, project_for(crms, db_url, routing=routing))
    crms.salesforce.calls.reset()
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.status == "succeeded"
    leads = crms.salesforce.rows("Lead")
    assert len(leads) == report.stats.created > 0
    owners = Counter(lead["OwnerId"] for lead in leads)
    assert set(owners) == set(reps.values())
    assert max(owners.values()) - min(owners.values()) <= 1
    # The owner travelled with the record: no separate owner-update calls were needed.
    assert sf_calls(crms, ("composite.update", "update.")) == 0
    assert sf_calls(crms) > 0
    wiring.close()
