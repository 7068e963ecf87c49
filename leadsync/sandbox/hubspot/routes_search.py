"""Search route of the emulated CRM objects API: ``POST /crm/v3/objects/{type}/search``.

Wire shapes: /work/shared/specs/hubspot/contacts-v3.json ``PublicObjectSearchRequest`` in and
``CollectionResponseWithTotalSimplePublicObject`` out; semantics per HubSpot's guide
https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm (default
properties, 200-record pages, the 10,000-result cap answered with 400). As that guide notes,
search answers carry no ``X-HubSpot-RateLimit-*`` headers; the gate in :mod:`.app` leaves them
off.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from leadsync.sandbox.hubspot.search import run_search
from leadsync.sandbox.hubspot.wire import count_records, object_json, read_body, sandbox_of
from leadsync.sandbox.jsonio import FastJSONResponse

router = APIRouter()


@router.post("/crm/v3/objects/{object_type}/search")
async def search_objects(request: Request, object_type: str) -> FastJSONResponse:
    """Evaluate filter groups, sorts and paging over live records."""
    body = await read_body(request)
    state = sandbox_of(request).state
    names = [str(n) for n in body.get("properties") or []]
    with state.lock:
        store = state.store(object_type)
        page, total, nxt = run_search(store, body)
        results = [object_json(store.spec, obj, names) for obj in page]
    count_records(request, len(results))
    out: dict[str, Any] = {"total": total, "results": results}
    if nxt is not None:
        out["paging"] = {"next": {"after": str(nxt)}}
    return FastJSONResponse(out)  # pages of 200 records: no response-model pass over them
