"""Properties, owners and associations v4 through the real HubSpot SDK."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.owners import ApiException as OwnersError
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import HubSpotSandbox
from leadsync.sandbox.hubspot.models import Owner


def _owners(sandbox: HubSpotSandbox, n: int) -> None:
    for i in range(n):
        archived = i == n - 1
        sandbox.state.owners[100 + i] = Owner(
            100 + i, f"owner{i}@corp.io", f"First{i}", f"Last{i}", 500 + i, 0, 0, archived
        )


@pytest.mark.parametrize(
    ("object_type", "name", "kind", "field_type"),
    [
        ("contacts", "email", "string", "text"),
        ("contacts", "lifecyclestage", "enumeration", "radio"),
        ("contacts", "lastmodifieddate", "datetime", "date"),
        ("companies", "numberofemployees", "number", "number"),
        ("companies", "hs_lastmodifieddate", "datetime", "date"),
        ("contacts", "hs_email_optout", "bool", "booleancheckbox"),
    ],
    ids=["email", "enum", "datetime", "number", "company-modified", "bool"],
)
def test_property_types(
    hs_client: Any, object_type: str, name: str, kind: str, field_type: str
) -> None:
    prop = hs_client.crm.properties.core_api.get_by_name(object_type, name)
    assert (prop.name, prop.type, prop.field_type) == (name, kind, field_type)


def test_enumeration_options_and_owner_options(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    _owners(hs_sandbox, 3)
    api = hs_client.crm.properties.core_api
    stage = api.get_by_name("contacts", "lifecyclestage")
    assert [o.value for o in stage.options][:3] == ["subscriber", "lead", "marketingqualifiedlead"]
    owner = api.get_by_name("contacts", "hubspot_owner_id")
    assert [o.value for o in owner.options] == ["100", "101"]  # the archived owner is not offered


def test_list_properties(hs_client: Any) -> None:
    every = hs_client.crm.properties.core_api.get_all("contacts")
    names = {p.name for p in every.results}
    assert {"email", "firstname", "hs_object_id", "createdate", "lastmodifieddate"} <= names
    some = hs_client.crm.properties.core_api.get_all("companies", properties="name,domain")
    assert sorted(p.name for p in some.results) == ["domain", "name"]


def test_unknown_property_is_404(hs_client: Any) -> None:
    with pytest.raises(PropertiesError) as caught:
        hs_client.crm.properties.core_api.get_by_name("contacts", "shoe_size")
    assert caught.value.status == 404


def test_owners_paging_email_and_archived(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    _owners(hs_sandbox, 5)
    api = hs_client.crm.owners.owners_api
    first = api.get_page(limit=3)
    assert [o.id for o in first.results] == ["100", "101", "102"]
    rest = api.get_page(limit=3, after=first.paging.next.after)
    assert [o.id for o in rest.results] == ["103"]
    assert rest.paging is None
    assert [o.id for o in api.get_page(email="OWNER1@corp.io").results] == ["101"]
    assert [o.id for o in api.get_page(archived=True).results] == ["104"]
    assert api.get_by_id("502", id_property="userId").email == "owner2@corp.io"
    with pytest.raises(OwnersError) as caught:
        api.get_by_id("104")  # archived owners are found only with archived=true
    assert caught.value.status == 404


def _contact_and_company(client: Any) -> tuple[str, str]:
    from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate

    contact = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "link@x.io"})
    )
    company = client.crm.companies.basic_api.create(CompanyCreate(properties={"name": "Acme"}))
    return contact.id, company.id


def test_default_association_both_directions(hs_client: Any) -> None:
    contact, company = _contact_and_company(hs_client)
    api = hs_client.crm.associations.v4.basic_api
    made = api.create_default("contacts", contact, "companies", company)
    assert {
        (r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results
    } == {
        (contact, company, 279),
        (company, contact, 280),
    }
    from_company = api.get_page("companies", company, "contacts")
    assert [r.to_object_id for r in from_company.results] == [contact]
    assert [t.type_id for t in from_company.results[0].association_types] == [280]


def test_labeled_association_and_archive(hs_client: Any) -> None:
    contact, company = _contact_and_company(hs_client)
    api = hs_client.crm.associations.v4.basic_api
    primary = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)
    pair = api.create("contacts", contact, "companies", company, [primary])
    assert pair.labels == ["Primary"]
    assert pair.from_object_type_id == "0-1"
    api.archive("contacts", contact, "companies", company)
    assert api.get_page("contacts", contact, "companies").results == []


def test_batch_associations(hs_client: Any) -> None:
    contact, company = _contact_and_company(hs_client)
    batch = hs_client.crm.associations.v4.batch_api
    batch.create_default(
        "contacts",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[{"from": {"id": contact}, "to": {"id": company}}]
        ),
    )
    made = batch.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                {
                    "from": {"id": contact},
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                },
                {
                    "from": {"id": "999999"},
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                },
            ]
        ),
    )
    assert [r.labels for r in made.results] == [["Primary"]]
    assert made.num_errors == 1
    assert made.errors[0].category == "OBJECT_NOT_FOUND"
    read = batch.get_page(
        "contacts",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": contact}]),
    )
    types = sorted(t.type_id for t in read.results[0].to[0].association_types)
    assert types == [1, 279]
