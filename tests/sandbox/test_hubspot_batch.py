"""Batch read/create/update/upsert/archive through the real HubSpot SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import HubSpotSandbox


def _create_many(client: Any, emails: list[str]) -> list[Any]:
    inputs = [{"properties": {"email": e, "firstname": e.split("@")[0]}} for e in emails]
    body = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    return list(client.crm.contacts.batch_api.create(body).results)


def _read(client: Any, ids: list[str], **kw: Any) -> Any:
    body = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=["email"], properties_with_history=[], **kw
    )
    return client.crm.contacts.batch_api.read(body)


def test_batch_create_then_read(hs_client: Any) -> None:
    made = _create_many(hs_client, [f"b{i}@x.io" for i in range(100)])
    assert len(made) == 100
    assert len({m.id for m in made}) == 100
    stamps = [m.properties["lastmodifieddate"] for m in made]
    assert len(set(stamps)) == 100  # one distinct millisecond per write
    got = _read(hs_client, [m.id for m in made[:5]])
    assert got.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in got.results) == [f"b{i}@x.io" for i in range(5)]


def test_batch_read_by_email_id_property(hs_client: Any) -> None:
    made = _create_many(hs_client, ["r1@x.io", "r2@x.io"])
    got = _read(hs_client, ["R2@x.io", "r1@x.io"], id_property="email")
    assert {r.id for r in got.results} == {m.id for m in made}


def test_batch_read_reports_missing_ids_207(hs_client: Any) -> None:
    made = _create_many(hs_client, ["m@x.io"])
    got = _read(hs_client, [made[0].id, "999999"])
    assert [r.id for r in got.results] == [made[0].id]
    assert got.num_errors == 1
    assert got.errors[0].category == "OBJECT_NOT_FOUND"
    assert got.errors[0].context == {"ids": ["999999"]}


@pytest.mark.parametrize(
    "call",
    ["create", "read", "update", "upsert", "archive"],
    ids=["create", "read", "update", "upsert", "archive"],
)
def test_more_than_100_inputs_is_400(hs_client: Any, call: str) -> None:
    api = hs_client.crm.contacts.batch_api
    ids = [{"id": str(i), "properties": {}} for i in range(101)]
    bodies = {
        "create": BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[{"properties": {"email": f"{i}@x.io"}} for i in range(101)]
        ),
        "read": BatchReadInputSimplePublicObjectId(
            inputs=[{"id": str(i)} for i in range(101)], properties=[], properties_with_history=[]
        ),
        "update": BatchInputSimplePublicObjectBatchInput(inputs=ids),
        "upsert": BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[dict(i, idProperty="email") for i in ids]
        ),
        "archive": BatchInputSimplePublicObjectId(inputs=[{"id": str(i)} for i in range(101)]),
    }
    with pytest.raises(ApiException) as caught:
        getattr(api, call)(bodies[call])
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_batch_create_with_existing_email_fails_whole_batch(
    hs_client: Any, hs_sandbox: HubSpotSandbox
) -> None:
    first = _create_many(hs_client, ["taken@x.io"])[0]
    with pytest.raises(ApiException) as caught:
        _create_many(hs_client, ["new1@x.io", "TAKEN@x.io", "new2@x.io"])
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["category"]) == (409, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first.id}"
    assert len(hs_sandbox.state.stores["contacts"]) == 1


def test_batch_create_invalid_value_names_the_input(hs_client: Any) -> None:
    body = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            {"properties": {"email": "ok@x.io"}},
            {"properties": {"email": "ok2@x.io", "lifecyclestage": "nope"}},
        ]
    )
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.batch_api.create(body)
    error = json.loads(caught.value.body)["errors"][0]
    assert error["code"] == "INVALID_OPTION"
    assert error["context"] == {"propertyName": ["lifecyclestage"], "inputIndex": ["1"]}


def test_batch_update_changes_found_and_reports_missing(hs_client: Any) -> None:
    made = _create_many(hs_client, ["u1@x.io", "u2@x.io"])
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": made[0].id, "properties": {"jobtitle": "CEO"}},
            {"id": "424242", "properties": {"jobtitle": "CFO"}},
            {"id": "u2@x.io", "idProperty": "email", "properties": {"jobtitle": "CTO"}},
        ]
    )
    out = hs_client.crm.contacts.batch_api.update(body)
    assert sorted(r.properties["jobtitle"] for r in out.results) == ["CEO", "CTO"]
    assert out.errors[0].context == {"ids": ["424242"]}


def test_batch_update_duplicate_ids_is_400(hs_client: Any) -> None:
    made = _create_many(hs_client, ["d@x.io"])
    inputs = [{"id": made[0].id, "properties": {"firstname": n}} for n in ("A", "B")]
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.batch_api.update(
            BatchInputSimplePublicObjectBatchInput(inputs=inputs)
        )
    assert caught.value.status == 400


def test_batch_upsert_by_email_creates_and_updates(hs_client: Any) -> None:
    existing = _create_many(hs_client, ["known@x.io"])[0]
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            {"id": "KNOWN@x.io", "idProperty": "email", "properties": {"firstname": "Known"}},
            {"id": "fresh@x.io", "idProperty": "email", "properties": {"firstname": "Fresh"}},
        ]
    )
    out = hs_client.crm.contacts.batch_api.upsert(body)
    by_name = {r.properties["firstname"]: r for r in out.results}
    assert by_name["Known"].id == existing.id
    assert by_name["Known"].new is False
    assert by_name["Fresh"].new is True
    assert by_name["Fresh"].properties["email"] == "fresh@x.io"


def test_batch_upsert_needs_unique_id_property(hs_client: Any) -> None:
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[{"id": "Ada", "idProperty": "firstname", "properties": {}}]
    )
    with pytest.raises(ApiException) as caught:
        hs_client.crm.contacts.batch_api.upsert(body)
    assert caught.value.status == 400
    assert "non-unique" in json.loads(caught.value.body)["message"]


def test_batch_archive(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    made = _create_many(hs_client, ["z1@x.io", "z2@x.io", "z3@x.io"])
    ids = [{"id": m.id} for m in made[:2]] + [{"id": "31337"}]
    hs_client.crm.contacts.batch_api.archive(BatchInputSimplePublicObjectId(inputs=ids))
    assert [o.id for o in hs_sandbox.state.stores["contacts"].live()] == [int(made[2].id)]


def test_record_rejection_predicate_fails_batch(hs_client: Any, hs_sandbox: HubSpotSandbox) -> None:
    hs_sandbox.faults.reject_records(
        lambda r: "blocked domain" if str(r.get("email", "")).endswith("@spam.io") else None
    )
    with pytest.raises(ApiException) as caught:
        _create_many(hs_client, ["fine@x.io", "bot@spam.io"])
    body = json.loads(caught.value.body)
    assert caught.value.status == 400
    assert body["message"] == "blocked domain"
    assert body["errors"][0]["context"] == {"inputIndex": ["1"]}
    assert len(_create_many(hs_client, ["fine@x.io"])) == 1
