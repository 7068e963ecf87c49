"""Start and seed the CRM sandboxes the demo syncs between."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from leadsync.sandbox.hubspot import HubSpotSandbox, seed_hubspot
from leadsync.sandbox.runtime import RunningServer, serve
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.routes import create_app as create_salesforce_app
from leadsync.sandbox.salesforce.seed import seed_salesforce


@dataclass
class World:
    """The running sandboxes and who is in them."""

    salesforce: SalesforceSandbox
    salesforce_server: RunningServer
    hubspot: HubSpotSandbox
    hubspot_server: RunningServer
    salesforce_people: list[dict[str, Any]]
    hubspot_people: list[dict[str, Any]]


def _lead_person(record: Any) -> dict[str, Any]:
    fields = dict(record.fields) if hasattr(record, "fields") else dict(record)
    return {
        "email": fields.get("Email"), "first_name": fields.get("FirstName"),
        "last_name": fields.get("LastName"), "company": fields.get("Company"),
        "phone": fields.get("Phone"), "country": fields.get("Country"),
    }  # fmt: skip


@contextlib.contextmanager
def running_world(*, seed: int, leads: int, hubspot_contacts: int) -> Iterator[World]:
    """Start both sandboxes on loopback, seeded; stop them on exit."""
    salesforce = SalesforceSandbox()
    seed_salesforce(
        salesforce,
        seed=seed,
        leads=leads,
        contacts=leads // 3,
        accounts=max(10, leads // 8),
        users=6,
    )
    sf_people = [_lead_person(r) for r in salesforce.rows("Lead") if r.get("Email")]
    rng = random.Random(seed)
    planted = rng.sample(sf_people, k=min(len(sf_people), hubspot_contacts // 5))
    hubspot = HubSpotSandbox()
    seed_hubspot(hubspot, seed=seed, contacts=hubspot_contacts, owners=4, duplicates_of=planted)
    hs_people = [
        {"email": c.get("email"), "first_name": c.get("firstname"),
         "last_name": c.get("lastname"), "company": c.get("company"), "phone": c.get("phone"),
         "country": c.get("country")}
        for c in (o.properties for o in hubspot.state.store("contacts").live())
        if c.get("email")
    ]  # fmt: skip
    sf_server = serve(create_salesforce_app(salesforce), tls=True)
    hs_server = hubspot.serve(tls=False)
    try:
        yield World(salesforce, sf_server, hubspot, hs_server, sf_people, hs_people)
    finally:
        hs_server.stop()
        sf_server.stop()
