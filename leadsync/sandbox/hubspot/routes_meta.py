"""Properties and owners routes of the emulated HubSpot API (read-only).

Wire shapes: /work/shared/specs/hubspot/properties-v3.json (``Property``,
``CollectionResponsePropertyNoPaging``) and owners-v3.json (``PublicOwner``,
``CollectionResponsePublicOwnerForwardPaging``); behaviour per
https://developers.hubspot.com/docs/guides/api/crm/properties and
https://developers.hubspot.com/docs/guides/api/crm/owners (owner paging by ``after``, ``email``
filter, ``archived`` owners listed only when asked for).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from leadsync.sandbox.hubspot.errors import HubSpotError, validation
from leadsync.sandbox.hubspot.models import HubSpotState, Owner, canonical_type
from leadsync.sandbox.hubspot.properties import PropertyDef, iso_ms
from leadsync.sandbox.hubspot.wire import count_records, sandbox_of, split_names

router = APIRouter()
# Property definitions are as old as the portal; a fixed stamp keeps answers reproducible.
_DEFINED_AT = iso_ms(1_546_300_800_000)


def _options(prop: PropertyDef, state: HubSpotState) -> list[dict[str, Any]]:
    if prop.name == "hubspot_owner_id":
        owners = sorted((o for o in state.owners.values() if not o.archived), key=lambda o: o.id)
        pairs = [(str(o.id), f"{o.first_name} {o.last_name} ({o.email})") for o in owners]
    elif prop.type == "bool":
        pairs = [("true", "Yes"), ("false", "No")]
    else:
        pairs = [(v, prop.option_labels.get(v, v.replace("_", " ").title())) for v in prop.options]
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
        for i, (value, label) in enumerate(pairs)
    ]


def property_json(prop: PropertyDef, state: HubSpotState, order: int) -> dict[str, Any]:
    """Render one property definition as ``Property`` JSON."""
    out: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": prop.type,
        "fieldType": prop.field_type,
        "groupName": prop.group_name,
        "description": "",
        "options": _options(prop, state),
        "displayOrder": order,
        "calculated": False,
        "externalOptions": prop.name == "hubspot_owner_id",
        "hasUniqueValue": prop.unique,
        "hidden": False,
        "hubspotDefined": True,
        "formField": not prop.read_only,
        "archived": False,
        "createdAt": _DEFINED_AT,
        "updatedAt": _DEFINED_AT,
        "modificationMetadata": {
            "archivable": False,
            "readOnlyDefinition": True,
            "readOnlyValue": prop.read_only,
            "readOnlyOptions": True,
        },
    }
    if prop.text_hint:
        out["textDisplayHint"] = prop.text_hint
    return out


@router.get("/crm/v3/properties/{object_type}")
async def list_properties(
    request: Request,
    object_type: str,
    archived: bool = False,
    properties: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Every (non-archived) property of the object type, or the named ones."""
    state = sandbox_of(request).state
    wanted = set(split_names(properties))
    with state.lock:
        catalog = state.catalog(object_type)
        results = [
            property_json(p, state, i)
            for i, p in enumerate(catalog.values())
            if not archived and (not wanted or p.name in wanted)
        ]
    count_records(request, len(results))
    return {"results": results}


@router.get("/crm/v3/properties/{object_type}/{property_name}")
async def get_property(
    request: Request, object_type: str, property_name: str, archived: bool = False
) -> dict[str, Any]:
    """One property definition; 404 when the object type has no such property."""
    state = sandbox_of(request).state
    with state.lock:
        catalog = list(state.catalog(object_type).values())
        for i, prop in enumerate(catalog):
            if prop.name == property_name and not archived:
                count_records(request, 1)
                return property_json(prop, state, i)
    type_id = state.store(object_type).spec.type_id
    raise HubSpotError(
        404,
        "OBJECT_NOT_FOUND",
        f"Unable to find property {property_name} for object type {type_id}",
        context={"propertyName": [property_name], "objectType": [canonical_type(object_type)]},
    )


def owner_json(owner: Owner) -> dict[str, Any]:
    """Render an owner as ``PublicOwner`` JSON."""
    return {
        "id": str(owner.id),
        "email": owner.email,
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "userId": owner.user_id,
        "userIdIncludingInactive": owner.user_id,
        "type": "PERSON",
        "createdAt": iso_ms(owner.created_ms),
        "updatedAt": iso_ms(owner.updated_ms),
        "archived": owner.archived,
        "teams": list(owner.teams),
    }


@router.get("/crm/v3/owners")
@router.get("/crm/v3/owners/")
async def list_owners(
    request: Request,
    after: str | None = None,
    limit: int = 100,
    email: str | None = None,
    archived: bool = False,
) -> dict[str, Any]:
    """A page of owners in id order (limit at most 500)."""
    if after is not None and not after.isdigit():
        raise validation(f"Invalid after cursor: {after}")
    state = sandbox_of(request).state
    with state.lock:
        page, nxt = state.owners_page(
            after=int(after or 0), limit=max(1, min(limit, 500)), email=email, archived=archived
        )
        results = [owner_json(o) for o in page]
    count_records(request, len(results))
    out: dict[str, Any] = {"results": results}
    if nxt is not None:
        out["paging"] = {"next": {"after": str(nxt), "link": f"{request.url.path}?after={nxt}"}}
    return out


@router.get("/crm/v3/owners/{owner_id}")
async def get_owner(
    request: Request,
    owner_id: str,
    archived: bool = False,
    id_property: Annotated[str, Query(alias="idProperty")] = "id",
) -> dict[str, Any]:
    """One owner by ``id`` or by ``userId``."""
    state = sandbox_of(request).state
    with state.lock:
        if id_property == "userId":
            matches = [o for o in state.owners.values() if str(o.user_id) == owner_id]
            owner_id = str(matches[0].id) if matches else "0"
        owner = state.owner(owner_id, archived=archived)
        out = owner_json(owner)
    count_records(request, 1)
    return out
