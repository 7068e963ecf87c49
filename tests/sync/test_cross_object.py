"""A lead that matches an existing Contact is not created again as a Lead (unless asked).

Modes (``jobs[].contacts``): skip the lead, update the contact with the merged values, or create
the lead linked through the golden record.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from sync_harness import Crms, project_for, wiring_for

from leadsync.sync.runner import run_job


@pytest.mark.parametrize(
    ("mode", "new_leads", "phone"),
    [("skip", 0, None), ("update", 0, "+14155550134"), ("create_linked", 1, None)],
)
def test_lead_matching_a_contact(
    crms: Crms,
    db_url: str,
    factory: sessionmaker[Session],
    mode: str,
    new_leads: int,
    phone: str | None,
) -> None:
    account = crms.salesforce.create("Account", {"Name": "Globex"})
    crms.salesforce.create("Contact", {"FirstName": "Hank", "LastName": "Scorpio",
                                       "Email": "hank@globex.example", "Title": "Engineer",
                                       "AccountId": account["Id"]})  # fmt: skip
    with crms.hubspot.state.lock:
        crms.hubspot.state.store("contacts").create({
            "email": "HANK@globex.example", "firstname": "Hank", "lastname": "Scorpio",
            "phone": "(415) 555-0134", "company": "Globex"})  # fmt: skip
    project = project_for(crms, db_url)
    jobs = [{**project.jobs[0].model_dump(), "contacts": mode}]
    wiring = wiring_for(crms, project_for(crms, db_url, jobs=jobs))
    report = run_job(wiring, factory, "hs-to-sf")
    assert report.status == "succeeded"
    assert (report.stats.read, report.stats.matched) == (1, 1)
    emails = [r.get("Email") for r in crms.salesforce.rows("Lead")]
    assert emails.count("hank@globex.example") == new_leads
    (contact,) = crms.salesforce.rows("Contact")
    # Salesforce is the master: the contact keeps its title; HubSpot fills the missing phone.
    assert (contact["Title"], contact.get("Phone")) == ("Engineer", phone)
    rerun = run_job(wiring, factory, "hs-to-sf")
    assert (rerun.stats.created, rerun.stats.updated) == (0, 0)
