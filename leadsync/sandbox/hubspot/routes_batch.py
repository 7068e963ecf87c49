"""Batch routes (read, create, update, upsert, archive) of the emulated CRM objects API.

Wire shapes: /work/shared/specs/hubspot/contacts-v3.json and companies-v3.json, paths
``/crm/v3/objects/{type}/batch/*`` (201/200, or 207 ``...WithErrors``); behaviour per
https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide ("batch"
and "upsert" sections). At most 100 inputs per call, else 400 VALIDATION_ERROR. As HubSpot
does, invalid values or an email that already exists fail the whole create/upsert call (400 or
409 naming the first conflict: see HubSpot/hubspot-api-python#51); ids that do not resolve on
read/update are reported per id in a 207 answer while the others succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from leadsync.sandbox.hubspot.errors import HubSpotError, validation
from leadsync.sandbox.hubspot.routes_objects import input_cleaner, link_inputs
from leadsync.sandbox.hubspot.store import HubSpotObject, ObjectStore
from leadsync.sandbox.hubspot.wire import (
    batch_inputs,
    batch_json,
    count_records,
    object_json,
    read_body,
    sandbox_of,
    split_names,
    standard_error,
)
from leadsync.sandbox.jsonio import FastJSONResponse

router = APIRouter()
_BATCH = "/crm/v3/objects/{object_type}/batch"


def _missing(store: ObjectStore, ids: list[str]) -> dict[str, Any]:
    kind = store.spec.name.rstrip("s").upper().replace("COMPANIE", "COMPANY")
    message = (
        f"Could not get some {kind} objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )
    return standard_error("OBJECT_NOT_FOUND", message, {"ids": ids})


def _answer(
    results: list[dict[str, Any]], errors: list[dict[str, Any]], started: int, ok: int, now: int
) -> JSONResponse:
    return FastJSONResponse(
        batch_json(results, started, now, errors), status_code=207 if errors else ok
    )


def _find(store: ObjectStore, key: str, id_property: str | None) -> HubSpotObject | None:
    try:
        return store.resolve(key, id_property=id_property)
    except HubSpotError as exc:
        if exc.status == 404:
            return None
        raise


@router.post(_BATCH + "/read")
async def batch_read(request: Request, object_type: str, archived: bool = False) -> JSONResponse:
    """Read up to 100 records by id or by ``idProperty``."""
    body = await read_body(request)
    inputs = batch_inputs(body)
    state = sandbox_of(request).state
    id_property = body.get("idProperty")
    names = split_names(body.get("properties"))
    history = split_names(body.get("propertiesWithHistory"))
    with state.lock:
        store = state.store(object_type)
        started = state.clock.next_ms()
        results, missing = [], []
        for item in inputs:
            key = str(item.get("id", ""))
            try:
                obj = store.resolve(key, id_property=id_property, archived=archived)
            except HubSpotError as exc:
                if exc.status != 404:
                    raise
                missing.append(key)
                continue
            results.append(object_json(store.spec, obj, names, history=history))
        errors = [_missing(store, missing)] if missing else []
        answer = _answer(results, errors, started, 200, state.clock.next_ms())
    count_records(request, len(inputs))
    return answer


def _check_batch_unique(store: ObjectStore, cleaned: list[dict[str, str | None]]) -> None:
    unique = store.spec.unique_property
    seen: set[str] = set()
    for values in cleaned:
        store.check_unique(values)
        value = (values.get(unique) or "").lower() if unique else ""
        if value and value in seen:
            raise validation(f"Duplicate {unique} in batch input: {value}")
        seen.add(value)


@router.post(_BATCH + "/create", status_code=201)
async def batch_create(request: Request, object_type: str) -> JSONResponse:
    """Create up to 100 records, all or none."""
    body = await read_body(request)
    inputs = batch_inputs(body)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        started = state.clock.next_ms()
        clean = input_cleaner(request, object_type, owners=state.owner_ids())
        cleaned = [clean(item.get("properties", {}), i) for i, item in enumerate(inputs)]
        _check_batch_unique(store, cleaned)
        created = [store.create(values) for values in cleaned]
        for item, obj in zip(inputs, created, strict=True):
            link_inputs(state, object_type, obj.id, item.get("associations"))
        results = [object_json(store.spec, o, everything=True) for o in created]
        answer = _answer(results, [], started, 201, state.clock.next_ms())
    count_records(request, len(inputs))
    return answer


def _duplicate_ids(inputs: list[Mapping[str, Any]]) -> None:
    ids = [str(i.get("id", "")) for i in inputs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise validation(f"Duplicate IDs found in batch input: {dupes}")


@router.post(_BATCH + "/update")
async def batch_update(request: Request, object_type: str) -> JSONResponse:
    """Update up to 100 records by id (or per-input ``idProperty``)."""
    body = await read_body(request)
    inputs = batch_inputs(body)
    _duplicate_ids(inputs)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        started = state.clock.next_ms()
        clean = input_cleaner(request, object_type, owners=state.owner_ids())
        cleaned = [clean(item.get("properties", {}), i) for i, item in enumerate(inputs)]
        keys = [str(item.get("id", "")) for item in inputs]
        found = [_find(store, k, i.get("idProperty")) for k, i in zip(keys, inputs, strict=True)]
        for obj, values in zip(found, cleaned, strict=True):
            if obj is not None:
                store.check_unique(values, own_id=obj.id)
        missing = [k for k, obj in zip(keys, found, strict=True) if obj is None]
        results = [
            object_json(store.spec, store.update(obj, values), everything=True)
            for obj, values in zip(found, cleaned, strict=True)
            if obj is not None
        ]
        errors = [_missing(store, missing)] if missing else []
        answer = _answer(results, errors, started, 200, state.clock.next_ms())
    count_records(request, len(inputs))
    return answer


@router.post(_BATCH + "/upsert")
async def batch_upsert(request: Request, object_type: str) -> JSONResponse:
    """Create or update up to 100 records keyed by a unique ``idProperty`` (contacts: email)."""
    body = await read_body(request)
    inputs = batch_inputs(body)
    _duplicate_ids(inputs)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        started = state.clock.next_ms()
        clean = input_cleaner(request, object_type, owners=state.owner_ids())
        plan: list[tuple[HubSpotObject | None, dict[str, str | None]]] = []
        for i, item in enumerate(inputs):
            id_property = str(item.get("idProperty") or "")
            if not id_property or id_property != store.spec.unique_property:
                message = f"Unable to perform update/upsert by non-unique {store.spec.type_id}"
                raise validation(f"{message} property {id_property or '(none)'}")
            values = clean(item.get("properties", {}), i)
            values.setdefault(id_property, str(item.get("id", "")).lower())
            plan.append((store.find_unique(str(item.get("id", ""))), values))
        _check_batch_unique(store, [v for obj, v in plan if obj is None])
        results = []
        for obj, values in plan:
            new = obj is None
            obj = store.create(values) if obj is None else store.update(obj, values)
            results.append({**object_json(store.spec, obj, everything=True), "new": new})
        answer = _answer(results, [], started, 200, state.clock.next_ms())
    count_records(request, len(inputs))
    return answer


@router.post(_BATCH + "/archive", status_code=204, response_class=Response)
async def batch_archive(request: Request, object_type: str) -> Response:
    """Archive up to 100 records by id; unknown ids are ignored, as in HubSpot."""
    body = await read_body(request)
    inputs = batch_inputs(body)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        for item in inputs:
            key = str(item.get("id", ""))
            obj = store.find(int(key)) if key.isdigit() else None
            if obj is not None:
                store.archive(obj)
    count_records(request, len(inputs))
    return Response(status_code=204)
