"""Basic CRUD and merge routes of the emulated CRM objects API (contacts, companies).

Wire shapes: /work/shared/specs/hubspot/contacts-v3.json and companies-v3.json (paths
``/crm/v3/objects/{type}``, ``/{id}`` and ``/merge``); behaviour per HubSpot's guides
https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide and
https://developers.hubspot.com/docs/guides/api/crm/objects/companies (unique email → 409
CONFLICT "Contact already exists. Existing ID: n"; merged ids keep resolving to the primary).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from leadsync.sandbox.hubspot.associations import type_by_id
from leadsync.sandbox.hubspot.errors import HubSpotError, validation
from leadsync.sandbox.hubspot.models import HubSpotState, canonical_type
from leadsync.sandbox.hubspot.store import HubSpotObject
from leadsync.sandbox.hubspot.wire import (
    count_records,
    object_json,
    read_body,
    sandbox_of,
    split_names,
)

router = APIRouter()
Names = Annotated[list[str] | None, Query()]
History = Annotated[list[str] | None, Query(alias="propertiesWithHistory")]
_BASE = "/crm/v3/objects/{object_type}"
_ASSOC_NAMES = {
    279: "contact_to_company_unlabeled",
    1: "contact_to_company",
    280: "company_to_contact_unlabeled",
    2: "company_to_contact",
}


def clean_input(
    request: Request,
    object_type: str,
    properties: Any,
    *,
    index: int | None = None,
    owners: set[str] | None = None,
) -> dict[str, str | None]:
    """Validate one input's properties, including the fault plan's record rejections.

    A batch passes ``owners`` (``state.owner_ids()``, taken once under the state lock).

    Raises:
        HubSpotError: 400 VALIDATION_ERROR for invalid values or a rejected record.
    """
    return input_cleaner(request, object_type, owners=owners)(properties, index)


InputCleaner = Callable[[Any, "int | None"], dict[str, str | None]]


def input_cleaner(
    request: Request, object_type: str, *, owners: set[str] | None = None
) -> InputCleaner:
    """:func:`clean_input` for the inputs of one batch: ``clean(properties, index)``."""
    sandbox = sandbox_of(request)
    check = sandbox.state.cleaner(object_type, owners=owners)
    faults = sandbox.faults

    def clean(properties: Any, index: int | None) -> dict[str, str | None]:
        # A parsed body holds plain dicts: the exact type test spares the ABC check.
        if type(properties) is not dict and not isinstance(properties, Mapping):
            raise validation("Invalid input JSON: properties must be an object")
        values = check(properties, index)
        reason = faults.record_rejection(properties)
        if reason is not None:
            where = {"inputIndex": [str(index)]} if index is not None else {}
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                reason,
                errors=[{"message": reason, "code": "INVALID_RECORD", "context": where}],
            )
        return values

    return clean


def link_inputs(state: HubSpotState, object_type: str, obj_id: int, links: Any) -> None:
    """Create the ``associations`` given with a create input."""
    if not links:
        return
    name = canonical_type(object_type)
    for link in links:
        to_id = str(link.get("to", {}).get("id", ""))
        for spec in link.get("types") or []:
            type_id = int(spec.get("associationTypeId", 0))
            other = "companies" if name == "contacts" else "contacts"
            type_by_id(name, other, type_id)
            state.associate(name, str(obj_id), other, to_id, type_id)


def with_associations(
    state: HubSpotState, object_type: str, obj: HubSpotObject, wanted: list[str]
) -> dict[str, Any]:
    """The ``associations`` member of a record read with ``associations=...``."""
    out: dict[str, Any] = {}
    for other in wanted:
        other_name = canonical_type(other)
        if other_name == canonical_type(object_type):
            continue
        found = state.associated(object_type, str(obj.id), other_name)
        results = [
            {"id": str(i), "type": _ASSOC_NAMES.get(t, str(t))}
            for i, types in found.items()
            for t in sorted(types)
        ]
        if results:
            out[other_name] = {"results": results}
    return out


@router.get(_BASE)
async def list_objects(
    request: Request,
    object_type: str,
    after: str | None = None,
    limit: int = 10,
    archived: bool = False,
    properties: Names = None,
    associations: Names = None,
    properties_with_history: History = None,
) -> dict[str, Any]:
    """GET a page of records in id order (``after`` is the next id)."""
    state = sandbox_of(request).state
    if after is not None and not after.isdigit():
        raise validation(f"Invalid after cursor: {after}")
    with state.lock:
        store = state.store(object_type)
        size = max(1, min(limit, 100))
        paging = store.archived_page if archived else store.page
        page, nxt = paging(int(after or 0), size)
        wanted = split_names(associations)
        history = split_names(properties_with_history)
        results = []
        for obj in page:
            item = object_json(store.spec, obj, split_names(properties), history=history)
            if wanted and (links := with_associations(state, object_type, obj, wanted)):
                item["associations"] = links
            results.append(item)
    count_records(request, len(results))
    out: dict[str, Any] = {"results": results}
    if nxt is not None:
        link = f"{request.url.path}?after={nxt}"
        out["paging"] = {"next": {"after": str(nxt), "link": link}}
    return out


@router.post(_BASE, status_code=201)
async def create_object(request: Request, object_type: str) -> dict[str, Any]:
    """POST one record; 409 when its email belongs to another contact."""
    body = await read_body(request)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        clean = clean_input(request, object_type, body.get("properties", {}))
        obj = store.create(clean)
        link_inputs(state, object_type, obj.id, body.get("associations"))
    count_records(request, 1)
    return object_json(store.spec, obj, everything=True)


@router.post(_BASE + "/merge")
async def merge_objects(request: Request, object_type: str) -> dict[str, Any]:
    """Merge ``objectIdToMerge`` into ``primaryObjectId``."""
    body = await read_body(request)
    state = sandbox_of(request).state
    primary, other = body.get("primaryObjectId"), body.get("objectIdToMerge")
    if primary is None or other is None:
        raise validation("primaryObjectId and objectIdToMerge are required")
    with state.lock:
        obj = state.merge(object_type, str(primary), str(other))
        spec = state.store(object_type).spec
    count_records(request, 2)
    return object_json(spec, obj, everything=True)


@router.get(_BASE + "/{object_id}")
async def get_object(
    request: Request,
    object_type: str,
    object_id: str,
    archived: bool = False,
    properties: Names = None,
    associations: Names = None,
    properties_with_history: History = None,
    id_property: Annotated[str | None, Query(alias="idProperty")] = None,
) -> dict[str, Any]:
    """GET one record by id, merged id or ``idProperty`` value."""
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        obj = store.resolve(object_id, id_property=id_property, archived=archived)
        history = split_names(properties_with_history)
        out = object_json(store.spec, obj, split_names(properties), history=history)
        wanted = split_names(associations)
        if wanted and (links := with_associations(state, object_type, obj, wanted)):
            out["associations"] = links
    count_records(request, 1)
    return out


@router.patch(_BASE + "/{object_id}")
async def update_object(
    request: Request,
    object_type: str,
    object_id: str,
    id_property: Annotated[str | None, Query(alias="idProperty")] = None,
) -> dict[str, Any]:
    """PATCH one record's properties."""
    body = await read_body(request)
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        obj = store.resolve(object_id, id_property=id_property)
        clean = clean_input(request, object_type, body.get("properties", {}))
        store.update(obj, clean)
    count_records(request, 1)
    return object_json(store.spec, obj, everything=True)


@router.delete(_BASE + "/{object_id}", status_code=204, response_class=Response)
async def archive_object(request: Request, object_type: str, object_id: str) -> Response:
    """DELETE (archive) one record; archiving a missing record is a no-op, as in HubSpot."""
    state = sandbox_of(request).state
    with state.lock:
        store = state.store(object_type)
        found = store.find(int(object_id)) if object_id.isdigit() else None
        if found is not None:
            store.archive(found)
    count_records(request, 1)
    return Response(status_code=204)


__all__ = ["JSONResponse", "clean_input", "input_cleaner", "link_inputs", "router"]
