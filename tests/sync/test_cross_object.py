"""A lead that matches an existing Contact is not created again as a Lead (unless asked)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, wiring_for

from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sync.runner import run_job


@pytest.mark.parametrize(("mode", "new_leads"), [("skip", 0), ("create_linked", 1)])
def test_lead_matching_a_contact(
    crms: Crms, db_url: str, factory: sessionmaker[Session], mode: str, new_leads: int
) -> None:
    account = crms.salesforce.create("Account", {"Name": "Globex"})
    crms.salesforce.create(
        "Contact",
        {
            "FirstName": "Hank",
            "LastName": "Scorpio",
            "Email": "hank@globex.example",
            "AccountId": account["Id"],
        },
    )
    seed_hubspot(crms.hubspot, seed=9, contacts=0, companies=0, owners=1,
                 duplicates_of=[{"email": "hank@globex.example", "first_name": "Hank",
                                 "last_name": "Scorpio"}])  # fmt: skip
    project = project_for(crms, db_url)
    jobs = [{**project.jobs[0].model_dump(), "contacts": mode}]
    wiring = wiring_for(crms, project_for(crms, db_url, jobs=jobs))
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.status == "succeeded"
    assert report.stats.read == 1
    assert report.stats.matched == 1
    emails = [r.get("Email") for r in crms.salesforce.rows("Lead")]
    assert emails.count("hank@globex.example") == new_leads
    assert len(crms.salesforce.rows("Contact")) == 1
