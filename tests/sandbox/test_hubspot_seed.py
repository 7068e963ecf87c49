"""Seed data: deterministic by seed, realistic, with recorded deliberate duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import HubSpotSandbox, SeedResult, seed_hubspot
from leadsync.sandbox.hubspot.seed import ANCHOR_MS


def _snapshot(sandbox: HubSpotSandbox) -> list[Any]:
    state = sandbox.state
    rows: list[Any] = [(o.id, o.email, o.first_name) for o in state.owners.values()]
    for store in state.stores.values():
        rows += [(o.id, o.created_ms, sorted(o.properties.items())) for o in store.live()]
    return rows


@pytest.fixture(scope="module")
def seeded() -> tuple[HubSpotSandbox, SeedResult]:
    sandbox = HubSpotSandbox()
    return sandbox, seed_hubspot(sandbox, seed=11, contacts=400, companies=60, owners=6)


def test_same_seed_same_portal(seeded: tuple[HubSpotSandbox, SeedResult]) -> None:
    again = HubSpotSandbox()
    seed_hubspot(again, seed=11, contacts=400, companies=60, owners=6)
    assert _snapshot(again) == _snapshot(seeded[0])
    other = HubSpotSandbox()
    seed_hubspot(other, seed=12, contacts=400, companies=60, owners=6)
    assert _snapshot(other) != _snapshot(seeded[0])


def test_counts_and_realistic_values(seeded: tuple[HubSpotSandbox, SeedResult]) -> None:
    sandbox, result = seeded
    contacts = sandbox.state.stores["contacts"]
    assert len(contacts) == len(result.contacts) == 400
    assert len(result.owners) == 6
    assert len(sandbox.state.owners) == 6
    assert len(sandbox.state.stores["companies"]) == 60 + len(result.duplicate_companies)
    owners = {str(o) for o in result.owners}
    for obj in contacts.live():
        props = obj.properties
        assert "@" in props["email"]
        assert props["firstname"]
        assert props["lastname"]
        assert props.get("hubspot_owner_id") in owners
        assert obj.created_ms < ANCHOR_MS
    created = [o.created_ms for o in contacts.live()]
    assert created == sorted(created)
    assert len(set(created)) == len(created)


def test_duplicate_contacts_are_same_person_other_email(
    seeded: tuple[HubSpotSandbox, SeedResult],
) -> None:
    sandbox, result = seeded
    contacts = sandbox.state.stores["contacts"]
    assert 5 <= len(result.duplicate_contacts) <= 60
    for dup_id, original_id in result.duplicate_contacts:
        dup, original = contacts.find(dup_id), contacts.find(original_id)
        assert dup is not None
        assert original is not None
        assert dup.properties["lastname"] == original.properties["lastname"]
        assert dup.properties["email"] != original.properties["email"]
        dup_links = sandbox.state.associated("contacts", str(dup_id), "companies")
        assert set(dup_links) == set(
            sandbox.state.associated("contacts", str(original_id), "companies")
        )


def test_duplicate_companies_share_domain(seeded: tuple[HubSpotSandbox, SeedResult]) -> None:
    sandbox, result = seeded
    companies = sandbox.state.stores["companies"]
    assert result.duplicate_companies
    for dup_id, original_id in result.duplicate_companies:
        dup, original = companies.find(dup_id), companies.find(original_id)
        assert dup is not None
        assert original is not None
        assert dup.properties["domain"] == original.properties["domain"]
        assert dup.properties["name"] != original.properties["name"]


def test_cross_system_duplicates_keep_email() -> None:
    sandbox = HubSpotSandbox()
    leads = [
        {"Email": "Pat.Doe@Acme.io", "FirstName": "Pat", "LastName": "Doe", "Company": "Acme"},
        {"email": "kim@beta.io", "first_name": "Kim", "last_name": "Lee"},
    ]
    result = seed_hubspot(sandbox, seed=3, contacts=20, companies=4, owners=2, duplicates_of=leads)
    contacts = sandbox.state.stores["contacts"]
    assert [i for i, _ in result.cross_duplicates] == [0, 1]
    for index, contact_id in result.cross_duplicates:
        found = contacts.find(contact_id)
        assert found is not None
        lead = leads[index]
        assert found.properties["email"] == str(lead.get("Email") or lead.get("email")).lower()
        first = str(lead.get("FirstName") or lead.get("first_name"))
        assert found.properties["firstname"].lower() == first.lower()


def test_seeded_portal_is_searchable_through_sdk(
    hs_client: Any, hs_sandbox: HubSpotSandbox
) -> None:
    result = seed_hubspot(hs_sandbox, seed=5, contacts=120, companies=10, owners=3)
    dup_id, original_id = result.duplicate_contacts[0]
    original = hs_sandbox.state.stores["contacts"].find(original_id)
    assert original is not None
    flt = {"propertyName": "lastname", "operator": "EQ", "value": original.properties["lastname"]}
    found = hs_client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=[{"filters": [flt]}], limit=100)
    )
    assert {str(dup_id), str(original_id)} <= {r.id for r in found.results}
