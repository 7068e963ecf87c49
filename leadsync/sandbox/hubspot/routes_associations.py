"""Associations v4 routes of the emulated HubSpot API (contact ↔ company).

Wire shapes: /work/shared/specs/hubspot/associations-v4.json (``PublicDefaultAssociation``,
``LabelsBetweenObjectPair``, ``MultiAssociatedObjectWithLabel``, batch envelopes); behaviour
per https://developers.hubspot.com/docs/guides/api/crm/associations/associations-v4 (default
associations are unlabeled HUBSPOT_DEFINED types 279/280; both directions are answered).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from leadsync.sandbox.hubspot.associations import pair_types, type_by_id
from leadsync.sandbox.hubspot.errors import HubSpotError, validation
from leadsync.sandbox.hubspot.models import HubSpotState, canonical_type
from leadsync.sandbox.hubspot.wire import (
    batch_inputs,
    batch_json,
    count_records,
    read_body,
    sandbox_of,
    standard_error,
)

router = APIRouter()
_OBJ = "/crm/v4/objects/{object_type}/{object_id}/associations"
_BATCH = "/crm/v4/associations/{from_type}/{to_type}/batch"


def _spec(type_id: int) -> dict[str, Any]:
    return {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}


def _default_pair(state: HubSpotState, a_type: str, a_id: str, b_type: str, b_id: str) -> list[Any]:
    """Create a default association; return both directions as ``PublicDefaultAssociation``."""
    state.associate_default(a_type, a_id, b_type, b_id)
    default, _ = pair_types(canonical_type(a_type), canonical_type(b_type))
    return [
        {"from": {"id": a_id}, "to": {"id": b_id}, "associationSpec": _spec(default.type_id)},
        {"from": {"id": b_id}, "to": {"id": a_id}, "associationSpec": _spec(default.reverse_id)},
    ]


def _labels_pair(
    state: HubSpotState, a_type: str, a_id: str, b_type: str, b_id: str
) -> dict[str, Any]:
    a_name, b_name = canonical_type(a_type), canonical_type(b_type)
    types = state.associated(a_name, a_id, b_name).get(int(b_id), set())
    labels = [type_by_id(a_name, b_name, t).label for t in sorted(types)]
    return {
        "fromObjectTypeId": state.stores[a_name].spec.type_id,
        "fromObjectId": a_id,
        "toObjectTypeId": state.stores[b_name].spec.type_id,
        "toObjectId": b_id,
        "labels": [label for label in labels if label],
    }


def _targets(state: HubSpotState, a_type: str, a_id: str, b_type: str) -> list[dict[str, Any]]:
    a_name, b_name = canonical_type(a_type), canonical_type(b_type)
    found = state.associated(a_name, a_id, b_name)
    return [
        {
            "toObjectId": str(i),
            "associationTypes": [_type_json(a_name, b_name, t) for t in sorted(types)],
        }
        for i, types in found.items()
    ]


def _type_json(a_name: str, b_name: str, type_id: int) -> dict[str, Any]:
    # The live API sends ``"label": null`` for unlabeled types; the schema wants a string, and
    # leaving the member out reads the same through the SDK.
    out: dict[str, Any] = {"category": "HUBSPOT_DEFINED", "typeId": type_id}
    label = type_by_id(a_name, b_name, type_id).label
    if label is not None:
        out["label"] = label
    return out


@router.put(_OBJ + "/default/{to_type}/{to_id}")
async def put_default(
    request: Request, object_type: str, object_id: str, to_type: str, to_id: str
) -> dict[str, Any]:
    """Associate two records with the default (unlabeled) type."""
    state = sandbox_of(request).state
    with state.lock:
        started = state.clock.next_ms()
        results = _default_pair(state, object_type, object_id, to_type, to_id)
        out = batch_json(results, started, state.clock.next_ms())
    count_records(request, 1)
    return out


@router.put(_OBJ + "/{to_type}/{to_id}", status_code=201)
async def put_labeled(
    request: Request, object_type: str, object_id: str, to_type: str, to_id: str
) -> dict[str, Any]:
    """Associate two records with the association types listed in the body."""
    try:
        raw = json.loads(await request.body() or b"null")
    except ValueError:
        raise validation("Invalid input JSON") from None
    if not isinstance(raw, list):
        raise validation("Invalid input JSON: expected a list of association specs")
    state = sandbox_of(request).state
    with state.lock:
        for spec in raw:
            type_id = int(spec.get("associationTypeId", 0))
            state.associate(object_type, object_id, to_type, to_id, type_id)
        out = _labels_pair(state, object_type, object_id, to_type, to_id)
    count_records(request, 1)
    return out


@router.get(_OBJ + "/{to_type}")
async def list_associated(
    request: Request,
    object_type: str,
    object_id: str,
    to_type: str,
    after: str | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    """Records of ``to_type`` associated with one record, paged by target id."""
    state = sandbox_of(request).state
    with state.lock:
        targets = _targets(state, object_type, object_id, to_type)
    start = int(after) if after and after.isdigit() else 0
    size = max(1, min(limit, 500))
    page = targets[start : start + size]
    count_records(request, len(page))
    out: dict[str, Any] = {"results": page}
    if start + size < len(targets):
        out["paging"] = {"next": {"after": str(start + size)}}
    return out


@router.delete(_OBJ + "/{to_type}/{to_id}", status_code=204, response_class=Response)
async def delete_association(
    request: Request, object_type: str, object_id: str, to_type: str, to_id: str
) -> Response:
    """Remove every association between two records."""
    state = sandbox_of(request).state
    with state.lock:
        a_name, b_name = canonical_type(object_type), canonical_type(to_type)
        if object_id.isdigit() and to_id.isdigit():
            state.associations.remove((a_name, int(object_id)), (b_name, int(to_id)))
    count_records(request, 1)
    return Response(status_code=204)


@router.post(_BATCH + "/create", status_code=201)
async def batch_create(request: Request, from_type: str, to_type: str) -> JSONResponse:
    """Create labeled associations; pairs whose records do not exist are reported (207)."""
    inputs = batch_inputs(await read_body(request))
    state = sandbox_of(request).state
    with state.lock:
        started = state.clock.next_ms()
        results, errors = [], []
        for item in inputs:
            a_id, b_id = str(item["from"]["id"]), str(item["to"]["id"])
            try:
                for spec in item.get("types") or []:
                    type_id = int(spec.get("associationTypeId", 0))
                    state.associate(from_type, a_id, to_type, b_id, type_id)
                results.append(_labels_pair(state, from_type, a_id, to_type, b_id))
            except HubSpotError as exc:
                context = {"fromId": [a_id], "toId": [b_id]}
                errors.append(standard_error(exc.category, exc.message, context))
        body = batch_json(results, started, state.clock.next_ms(), errors)
    count_records(request, len(inputs))
    return JSONResponse(body, status_code=207 if errors else 201)


@router.post(_BATCH + "/associate/default")
async def batch_default(request: Request, from_type: str, to_type: str) -> dict[str, Any]:
    """Create default associations for up to 100 pairs."""
    inputs = batch_inputs(await read_body(request))
    state = sandbox_of(request).state
    with state.lock:
        started = state.clock.next_ms()
        results, errors = [], []
        for item in inputs:
            a_id, b_id = str(item["from"]["id"]), str(item["to"]["id"])
            try:
                results.extend(_default_pair(state, from_type, a_id, to_type, b_id))
            except HubSpotError as exc:
                context = {"fromId": [a_id], "toId": [b_id]}
                errors.append(standard_error(exc.category, exc.message, context))
        out = batch_json(results, started, state.clock.next_ms(), errors)
    count_records(request, len(inputs))
    return out


@router.post(_BATCH + "/read")
async def batch_read(request: Request, from_type: str, to_type: str) -> JSONResponse:
    """Associations of up to 100 records; missing records are reported (207)."""
    inputs = batch_inputs(await read_body(request))
    state = sandbox_of(request).state
    with state.lock:
        started = state.clock.next_ms()
        results, errors = [], []
        for item in inputs:
            a_id = str(item.get("id", ""))
            try:
                to = _targets(state, from_type, a_id, to_type)
            except HubSpotError as exc:
                errors.append(standard_error(exc.category, exc.message, {"fromId": [a_id]}))
                continue
            results.append({"from": {"id": a_id}, "to": to})
        body = batch_json(results, started, state.clock.next_ms(), errors)
    count_records(request, len(inputs))
    return JSONResponse(body, status_code=207 if errors else 200)


@router.post(_BATCH + "/archive", status_code=204, response_class=Response)
async def batch_archive(request: Request, from_type: str, to_type: str) -> Response:
    """Remove every association between each ``from`` record and its listed ``to`` records."""
    inputs = batch_inputs(await read_body(request))
    state = sandbox_of(request).state
    with state.lock:
        a_name, b_name = canonical_type(from_type), canonical_type(to_type)
        for item in inputs:
            a_id = str(item["from"]["id"])
            for target in item.get("to") or []:
                if a_id.isdigit() and str(target["id"]).isdigit():
                    state.associations.remove((a_name, int(a_id)), (b_name, int(target["id"])))
    count_records(request, len(inputs))
    return Response(status_code=204)
