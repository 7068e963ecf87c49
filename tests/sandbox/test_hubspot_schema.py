"""Sandbox answers validate against HubSpot's published OpenAPI response schemas.

The schema is chosen from the spec by path, method and the status the sandbox answered, so a
status the spec does not declare for that operation fails too (errors use ``default``).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from leadsync.sandbox.hubspot import HubSpotSandbox
from leadsync.sandbox.hubspot.models import Owner
from leadsync.sandbox.runtime import FaultKind

SPECS = Path("/work/shared/specs/hubspot")


def _allow_null_values(node: Any) -> None:
    # The live API sends ``null`` for a requested property without a value; the published
    # schema types those values as plain strings (no ``nullable``).
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("properties"), dict):
            extra = props["properties"].get("additionalProperties")
            if isinstance(extra, dict) and extra.get("type") == "string":
                extra["nullable"] = True
        for value in node.values():
            _allow_null_values(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_values(value)


@cache
def _spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((SPECS / f"{name}.json").read_text())
    spec = copy.deepcopy(spec)
    _allow_null_values(spec["components"])
    return spec


def _schema_ref(spec: dict[str, Any], template: str, method: str, status: int) -> str:
    responses = spec["paths"][template][method]["responses"]
    answer = responses.get(str(status)) or responses["default"]
    if "$ref" in answer:  # the shared ``Error`` response
        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer["content"]
    media = content.get("application/json") or content["*/*"]
    ref: str = media["schema"]["$ref"]
    return ref


@pytest.fixture
def world(hs_http: httpx.Client, hs_sandbox: HubSpotSandbox) -> dict[str, str]:
    hs_sandbox.state.owners[77] = Owner(77, "o@corp.io", "Owen", "Er", 7, 0, 0)
    ids = {}
    for key, props in (
        ("contact", {"email": "a@x.io", "firstname": "A"}),
        ("other", {"email": "b@x.io", "phone": "+1 555"}),
    ):
        ids[key] = hs_http.post("/crm/v3/objects/contacts", json={"properties": props}).json()["id"]
    company = hs_http.post("/crm/v3/objects/companies", json={"properties": {"name": "Acme"}})
    ids["company"] = company.json()["id"]
    hs_sandbox.state.associate_default("contacts", ids["contact"], "companies", ids["company"])
    return ids


_C = "/crm/v3/objects/contacts"
_ASSOC = "/crm/v4/objects/{objectType}/{objectId}/associations"
_SEARCH = {
    "filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}],
    "properties": ["email", "phone"],
    "limit": 1,
    "sorts": [],
    "after": "0",
}
CASES: list[tuple[str, str, str, str, Any, int]] = [
    ("contacts-v3", "post", _C, _C, {"properties": {"email": "n@x.io"}}, 201),
    ("contacts-v3", "get", _C, _C + "?limit=1&properties=phone", None, 200),
    (
        "contacts-v3",
        "get",
        _C + "/{contactId}",
        _C + "/{contact}?associations=companies&propertiesWithHistory=firstname,email",
        None,
        200,
    ),
    (
        "contacts-v3",
        "patch",
        _C + "/{contactId}",
        _C + "/{contact}",
        {"properties": {"city": "X"}},
        200,
    ),
    (
        "contacts-v3",
        "post",
        _C + "/batch/read",
        _C + "/batch/read",
        {"inputs": [{"id": "{contact}"}], "properties": ["email"], "propertiesWithHistory": []},
        200,
    ),
    (
        "contacts-v3",
        "post",
        _C + "/batch/read",
        _C + "/batch/read",
        {"inputs": [{"id": "1"}], "properties": [], "propertiesWithHistory": []},
        207,
    ),
    (
        "contacts-v3",
        "post",
        _C + "/batch/create",
        _C + "/batch/create",
        {"inputs": [{"properties": {"email": "bc@x.io"}}]},
        201,
    ),
    (
        "contacts-v3",
        "post",
        _C + "/batch/update",
        _C + "/batch/update",
        {"inputs": [{"id": "{other}", "properties": {"city": "Y"}}, {"id": "3", "properties": {}}]},
        207,
    ),
    (
        "contacts-v3",
        "post",
        _C + "/batch/upsert",
        _C + "/batch/upsert",
        {"inputs": [{"id": "up@x.io", "idProperty": "email", "properties": {}}]},
        200,
    ),
    ("contacts-v3", "post", _C + "/search", _C + "/search", _SEARCH, 200),
    (
        "contacts-v3",
        "post",
        _C + "/merge",
        _C + "/merge",
        {"primaryObjectId": "{contact}", "objectIdToMerge": "{other}"},
        200,
    ),
    ("contacts-v3", "get", _C + "/{contactId}", _C + "/1", None, 404),
    ("contacts-v3", "post", _C, _C, {"properties": {"email": "a@x.io"}}, 409),
    ("contacts-v3", "post", _C, _C, {"properties": {"shoe": "9"}}, 400),
    (
        "contacts-v3",
        "post",
        _C + "/batch/create",
        _C + "/batch/create",
        {"inputs": [{"properties": {}}] * 101},
        400,
    ),
    (
        "companies-v3",
        "get",
        "/crm/v3/objects/companies/{companyId}",
        "/crm/v3/objects/companies/{company}?properties=name",
        None,
        200,
    ),
    (
        "companies-v3",
        "post",
        "/crm/v3/objects/companies/search",
        "/crm/v3/objects/companies/search",
        {"filterGroups": [], "properties": [], "limit": 5, "sorts": [], "after": "0"},
        200,
    ),
    ("owners-v3", "get", "/crm/v3/owners", "/crm/v3/owners", None, 200),
    ("owners-v3", "get", "/crm/v3/owners/{ownerId}", "/crm/v3/owners/77", None, 200),
    (
        "properties-v3",
        "get",
        "/crm/v3/properties/{objectType}",
        "/crm/v3/properties/contacts",
        None,
        200,
    ),
    (
        "properties-v3",
        "get",
        "/crm/v3/properties/{objectType}/{propertyName}",
        "/crm/v3/properties/contacts/hubspot_owner_id",
        None,
        200,
    ),
    (
        "associations-v4",
        "put",
        "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}"
        "/{toObjectId}",
        "/crm/v4/objects/contacts/{other}/associations/default/companies/{company}",
        None,
        200,
    ),
    (
        "associations-v4",
        "put",
        _ASSOC + "/{toObjectType}/{toObjectId}",
        "/crm/v4/objects/contacts/{contact}/associations/companies/{company}",
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
        201,
    ),
    (
        "associations-v4",
        "get",
        _ASSOC + "/{toObjectType}",
        "/crm/v4/objects/companies/{company}/associations/contacts",
        None,
        200,
    ),
    (
        "associations-v4",
        "post",
        "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
        "/crm/v4/associations/contacts/companies/batch/read",
        {"inputs": [{"id": "{contact}"}, {"id": "5"}]},
        207,
    ),
    (
        "associations-v4",
        "post",
        "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/create",
        "/crm/v4/associations/contacts/companies/batch/create",
        {
            "inputs": [
                {
                    "from": {"id": "{contact}"},
                    "to": {"id": "{company}"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ]
        },
        201,
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(value)
    for key, real in ids.items():
        text = text.replace("{" + key + "}", real)
    return json.loads(text)


@pytest.mark.parametrize(
    ("spec_name", "method", "template", "path", "body", "status"),
    CASES,
    ids=[f"{c[0]}:{c[1]}:{c[3].split('?')[0]}:{c[5]}" for c in CASES],
)
def test_answer_matches_published_schema(
    hs_http: httpx.Client,
    world: dict[str, str],
    spec_name: str,
    method: str,
    template: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    answer = hs_http.request(method.upper(), _fill(path, world), json=_fill(body, world))
    assert answer.status_code == status, answer.text
    spec = _spec(spec_name)
    root = {"$ref": _schema_ref(spec, template, method, status), "components": spec["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json())]
    assert errors == []


@pytest.mark.parametrize(
    ("kind", "status"),
    [(FaultKind.RATE_LIMIT, 429), (FaultKind.SESSION_EXPIRED, 401), (FaultKind.UNAVAILABLE, 503)],
    ids=["429", "401", "503"],
)
def test_fault_answers_match_error_schema(
    hs_http: httpx.Client, hs_sandbox: HubSpotSandbox, kind: FaultKind, status: int
) -> None:
    hs_sandbox.faults.fail_next(1, kind)
    answer = hs_http.get(_C)
    assert answer.status_code == status
    spec = _spec("contacts-v3")
    root = {"$ref": _schema_ref(spec, _C, "get", status), "components": spec["components"]}
    assert list(OAS30Validator(root).iter_errors(answer.json())) == []
