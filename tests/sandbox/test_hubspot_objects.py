"""Basic CRUD, unique email, validation errors and merges, through the real HubSpot SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (
    ApiException,
    PublicMergeInput,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import HubSpotSandbox


def _create(client: Any, **props: str) -> Any:
    body = SimplePublicObjectInputForCreate(properties=props)
    return client.crm.contacts.basic_api.create(simple_public_object_input_for_create=body)


def _error(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


def test_create_then_get_returns_system_properties(hs_client: Any) -> None:
    made = _create(hs_client, email="Ada@Example.com", firstname="Ada", lastname="Lovelace")
    got = hs_client.crm.contacts.basic_api.get_by_id(made.id, properties=["email", "firstname"])
    assert got.id == made.id == got.properties["hs_object_id"]
    assert got.properties["email"] == "ada@example.com"  # HubSpot lower-cases emails
    assert got.properties["firstname"] == "Ada"
    assert got.properties["createdate"] == got.properties["lastmodifieddate"]
    assert got.created_at == made.created_at
    assert got.archived is False


def test_get_by_email_id_property(hs_client: Any) -> None:
    made = _create(hs_client, email="grace@navy.mil")
    got = hs_client.crm.contacts.basic_api.get_by_id("GRACE@navy.mil", id_property="email")
    assert got.id == made.id


def test_update_strictly_increases_lastmodifieddate(hs_client: Any) -> None:
    made = _create(hs_client, email="a@b.io")
    api = hs_client.crm.contacts.basic_api
    stamps = [made.properties["lastmodifieddate"]]
    for name in ("One", "Two", "Three"):
        body = SimplePublicObjectInput(properties={"firstname": name})
        stamps.append(
            api.update(made.id, simple_public_object_input=body).properties["lastmodifieddate"]
        )
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4
    got = api.get_by_id(made.id, properties=["firstname"])
    assert got.properties["firstname"] == "Three"
    assert got.properties["createdate"] == made.properties["createdate"]
    assert got.updated_at > got.created_at


def test_update_by_email_id_property(hs_client: Any) -> None:
    made = _create(hs_client, email="x@y.io")
    body = SimplePublicObjectInput(properties={"jobtitle": "CTO"})
    out = hs_client.crm.contacts.basic_api.update("x@y.io", body, id_property="email")
    assert out.id == made.id
    assert out.properties["jobtitle"] == "CTO"


def test_archive_hides_record_but_archived_read_finds_it(hs_client: Any) -> None:
    made = _create(hs_client, email="gone@b.io")
    api = hs_client.crm.contacts.basic_api
    api.archive(made.id)
    with pytest.raises(ApiException) as caught:
        api.get_by_id(made.id)
    assert caught.value.status == 404
    assert _error(caught.value)["category"] == "OBJECT_NOT_FOUND"
    archived = api.get_by_id(made.id, archived=True)
    assert archived.archived is True
    assert archived.archived_at is not None
    listed = api.get_page(archived=True)
    assert [r.id for r in listed.results] == [made.id]
    assert api.get_page().results == []
    again = _create(hs_client, email="gone@b.io")  # archiving frees the email
    assert again.id != made.id


def test_duplicate_email_is_409_conflict_with_existing_id(hs_client: Any) -> None:
    first = _create(hs_client, email="dup@b.io")
    with pytest.raises(ApiException) as caught:
        _create(hs_client, email="DUP@b.io", firstname="Other")
    body = _error(caught.value)
    assert caught.value.status == 409
    assert body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {first.id}"
    assert body["status"] == "error"
    assert body["correlationId"]


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"email": "ok@b.io", "favourite_colour": "blue"}, "PROPERTY_DOESNT_EXIST"),
        ({"email": "ok@b.io", "lifecyclestage": "bogus"}, "INVALID_OPTION"),
        ({"email": "not-an-email"}, "INVALID_EMAIL"),
        ({"email": "ok@b.io", "hs_object_id": "7"}, "READ_ONLY_VALUE"),
        ({"email": "ok@b.io", "annualrevenue": "lots"}, "INVALID_DOUBLE"),
        ({"email": "ok@b.io", "date_of_birth": "yesterday"}, "INVALID_DATE"),
        ({"email": "ok@b.io", "hubspot_owner_id": "999"}, "INVALID_OPTION"),
    ],
    ids=[
        "unknown-property",
        "bad-option",
        "bad-email",
        "read-only",
        "bad-number",
        "bad-date",
        "unknown-owner",
    ],
)
def test_invalid_values_are_400_and_create_nothing(
    hs_client: Any, hs_sandbox: HubSpotSandbox, props: dict[str, str], code: str
) -> None:
    from leadsync.sandbox.hubspot.models import Owner

    hs_sandbox.state.owners[1] = Owner(1, "o@x.io", "O", "W", 1, 0, 0)
    with pytest.raises(ApiException) as caught:
        _create(hs_client, **props)
    body = _error(caught.value)
    assert caught.value.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert [e["code"] for e in body["errors"]] == [code]
    assert body["message"].startswith("Property values were not valid")
    assert len(hs_sandbox.state.stores["contacts"]) == 0


def test_get_page_walks_every_record_once(hs_client: Any) -> None:
    made = {_create(hs_client, email=f"p{i}@b.io").id for i in range(23)}
    api = hs_client.crm.contacts.basic_api
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api.get_page(limit=10, after=after, properties=["email"])
        seen += [r.id for r in page.results]
        pages += 1
        if page.paging is None:
            break
        after = page.paging.next.after
    assert pages == 3
    assert set(seen) == made
    assert len(seen) == 23
    assert [int(i) for i in seen] == sorted(int(i) for i in seen)


def test_unknown_id_is_404_object_not_found(hs_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.basic_api.get_by_id("987654321")
    body = _error(caught.value)
    assert (caught.value.status, body["category"]) == (404, "OBJECT_NOT_FOUND")
    assert body["context"] == {"id": ["987654321"]}


def test_merge_redirects_secondary_to_primary(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    primary = _create(hs_client, email="main@b.io", firstname="Ada")
    other = _create(hs_client, email="alt@b.io", firstname="Ada L", phone="+1 555 0100")
    company = hs_client.crm.companies.basic_api.create(CompanyCreate(properties={"name": "Acme"}))
    hs_sandbox.state.associate_default("contacts", other.id, "companies", company.id)
    merged = hs_client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=primary.id, object_id_to_merge=other.id)
    )
    assert merged.id == primary.id
    assert merged.properties["hs_merged_object_ids"] == other.id
    assert merged.properties["firstname"] == "Ada"  # the primary's value wins
    assert merged.properties["phone"] == "+1 555 0100"  # blanks are filled from the other
    api = hs_client.crm.contacts.basic_api
    assert api.get_by_id(other.id).id == primary.id
    assert api.get_by_id("alt@b.io", id_property="email").id == primary.id
    assert [r.id for r in api.get_page().results] == [primary.id]
    linked = hs_client.crm.associations.v4.basic_api.get_page("contacts", primary.id, "companies")
    assert [r.to_object_id for r in linked.results] == [company.id]


def test_merge_with_itself_is_400(hs_client: Any) -> None:
    made = _create(hs_client, email="self@b.io")
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.basic_api.merge(
            PublicMergeInput(primary_object_id=made.id, object_id_to_merge=made.id)
        )
    assert caught.value.status == 400


def test_company_crud_and_non_unique_id_property(hs_client: Any) -> None:
    from hubspot.crm.companies import ApiException as CompanyError
    from hubspot.crm.companies import SimplePublicObjectInput as CompanyUpdate

    api = hs_client.crm.companies.basic_api
    made = api.create(CompanyCreate(properties={"name": "Acme", "domain": "acme.io"}))
    assert set(made.properties) >= {"name", "domain", "hs_object_id", "hs_lastmodifieddate"}
    api.update(made.id, CompanyUpdate(properties={"industry": "INTERNET"}))
    got = api.get_by_id(made.id, properties=["industry", "name"])
    assert got.properties["industry"] == "INTERNET"
    assert got.properties["name"] == "Acme"
    with pytest.raises(CompanyError) as caught:
        api.get_by_id("acme.io", id_property="domain")
    assert caught.value.status == 400


def test_unknown_object_type_is_400(hs_http: httpx.Client) -> None:
    answer = hs_http.get("/crm/v3/objects/widgets")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Unable to infer object type from: widgets"


def test_requested_missing_property_is_null(hs_http: httpx.Client) -> None:
    made = hs_http.post("/crm/v3/objects/contacts", json={"properties": {"email": "n@b.io"}})
    assert made.status_code == 201
    got = hs_http.get(f"/crm/v3/objects/contacts/{made.json()['id']}?properties=phone,email")
    assert got.json()["properties"]["phone"] is None
    assert got.json()["properties"]["email"] == "n@b.io"


def test_properties_with_history_newest_first(hs_client: Any) -> None:
    made = _create(hs_client, email="h@b.io", jobtitle="Intern")
    api = hs_client.crm.contacts.basic_api
    for title in ("Engineer", ""):
        api.update(made.id, SimplePublicObjectInput(properties={"jobtitle": title}))
    got = api.get_by_id(made.id, properties_with_history=["jobtitle", "email", "phone"])
    versions = got.properties_with_history["jobtitle"]
    assert [v.value for v in versions] == ["", "Engineer", "Intern"]
    assert versions[-1].timestamp == got.created_at
    assert versions[0].timestamp > versions[1].timestamp > versions[2].timestamp
    assert [v.value for v in got.properties_with_history["email"]] == ["h@b.io"]
    assert got.properties_with_history["phone"] == []
