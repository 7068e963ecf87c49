"""sObject routes: describeGlobal, describe, CRUD, upsert by external id, updated/deleted, limits.

Follows the Salesforce REST API Developer Guide: "sObject Basic Information", "sObject
Describe", "sObject Rows", "sObject Rows by External ID" (upsert: 201 created, 200 with body
when an existing record is updated, API 46.0+), "sObject Get Updated" / "sObject Get Deleted"
and "Limits" (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.salesforce.ids import format_datetime, is_valid_id, parse_datetime, to18
from leadsync.sandbox.salesforce.schema import OBJECTS
from leadsync.sandbox.salesforce.validation import SaveError
from leadsync.sandbox.salesforce.wire import (
    ApiError,
    allow_duplicates,
    base_of,
    json_body,
    not_found,
    obj_or_404,
    sandbox_of,
    save_error_response,
    save_result,
    serialize,
    user_of,
)

router = APIRouter(prefix="/api")


@router.get("/")
async def resources(request: Request) -> JSONResponse:
    """The resources of this API version."""
    base = base_of(request)
    names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
    return JSONResponse({n: f"{base}/{n}" for n in names})


@router.get("/limits")
async def limits(request: Request) -> JSONResponse:
    """DailyApiRequests (and a bulk allocation) as the Limits resource reports them."""
    sandbox = sandbox_of(request)
    sandbox.calls.record("limits")
    maximum = sandbox.limit_max
    body = {
        "DailyApiRequests": {"Max": maximum, "Remaining": max(0, maximum - sandbox.api_usage)},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
    }
    return JSONResponse(body)


@router.get("/sobjects")
async def describe_global(request: Request) -> JSONResponse:
    """describeGlobal: every emulated object."""
    sandbox_of(request).calls.record("describeGlobal")
    base = base_of(request)
    objects = []
    for odef in OBJECTS.values():
        info = odef.describe(base)
        info.pop("fields")
        objects.append(info)
    return JSONResponse({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects})


@router.get("/sobjects/{obj}")
async def basic_info(request: Request, obj: str) -> JSONResponse:
    """Object metadata and recently created items."""
    odef = obj_or_404(obj)
    info = odef.describe(base_of(request))
    info.pop("fields")
    return JSONResponse({"objectDescribe": info, "recentItems": []})


@router.get("/sobjects/{obj}/describe")
async def describe(request: Request, obj: str) -> JSONResponse:
    """Full describe with fields."""
    odef = obj_or_404(obj)
    sandbox_of(request).calls.record(f"describe.{odef.name}")
    return JSONResponse(odef.describe(base_of(request)))


def _window(request: Request) -> tuple[Any, Any]:
    try:
        start = parse_datetime(request.query_params["start"])
        end = parse_datetime(request.query_params["end"])
    except (KeyError, ValueError) as exc:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "start and end must be date-times") from exc
    if end < start:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "end is before start")
    return start, end


@router.get("/sobjects/{obj}/updated")
async def get_updated(request: Request, obj: str) -> JSONResponse:
    """Ids of records changed within [start, end] (live records only)."""
    odef = obj_or_404(obj)
    start, end = _window(request)
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"updated.{odef.name}")
    rows = sandbox.rows(odef.name)
    ids = [r["Id"] for r in rows if start <= r["SystemModstamp"] <= end]
    return JSONResponse({"ids": ids, "latestDateCovered": format_datetime(end)})


@router.get("/sobjects/{obj}/deleted")
async def get_deleted(request: Request, obj: str) -> JSONResponse:
    """Records deleted within [start, end]."""
    odef = obj_or_404(obj)
    start, end = _window(request)
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"deleted.{odef.name}")
    rows = [r for r in sandbox.rows(odef.name, include_deleted=True) if r["IsDeleted"]]
    deleted = [
        {"id": r["Id"], "deletedDate": format_datetime(r["SystemModstamp"])}
        for r in rows
        if start <= r["SystemModstamp"] <= end
    ]
    earliest = format_datetime(end - timedelta(days=15))
    return JSONResponse(
        {
            "deletedRecords": deleted,
            "earliestDateAvailable": earliest,
            "latestDateCovered": format_datetime(end),
        }
    )


@router.post("/sobjects/{obj}")
async def create(request: Request, obj: str) -> Response:
    """Create one record: 201 ``{id, success, errors}``."""
    odef = obj_or_404(obj)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"create.{odef.name}", 1)
    try:
        rec = sandbox.create(
            odef.name, body, user_id=user_of(request), allow_duplicates=allow_duplicates(request)
        )
    except SaveError as exc:
        return save_error_response(exc)
    return JSONResponse(save_result(rec), status_code=201)


def _record_id(obj: str, record_id: str) -> str:
    if not is_valid_id(record_id):
        raise not_found()
    return to18(record_id)


@router.get("/sobjects/{obj}/{record_id}")
async def read(request: Request, obj: str, record_id: str) -> JSONResponse:
    """Read one record; ``?fields=`` limits the fields."""
    odef = obj_or_404(obj)
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"get.{odef.name}")
    rec = sandbox.get(odef.name, _record_id(odef.name, record_id))
    if rec is None:
        raise not_found()
    return JSONResponse(serialize(rec, odef.name, base_of(request), _fields(request, odef.name)))


def _fields(request: Request, obj: str) -> list[str] | None:
    wanted = request.query_params.get("fields")
    if not wanted:
        return None
    out = []
    for name in wanted.split(","):
        fdef = OBJECTS[obj].field_ci(name.strip())
        if fdef is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj}'")
        out.append(fdef.name)
    return out


@router.patch("/sobjects/{obj}/{record_id}")
async def update(request: Request, obj: str, record_id: str) -> Response:
    """Update one record: 204."""
    odef = obj_or_404(obj)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"update.{odef.name}", 1)
    rid = _record_id(odef.name, record_id)
    if sandbox.get(odef.name, rid) is None:
        raise not_found()
    try:
        sandbox.update(
            odef.name,
            rid,
            body,
            user_id=user_of(request),
            allow_duplicates=allow_duplicates(request),
        )
    except SaveError as exc:
        return save_error_response(exc)
    return Response(status_code=204)


@router.delete("/sobjects/{obj}/{record_id}")
async def delete(request: Request, obj: str, record_id: str) -> Response:
    """Soft-delete one record: 204."""
    odef = obj_or_404(obj)
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"delete.{odef.name}", 1)
    rid = _record_id(odef.name, record_id)
    if sandbox.get(odef.name, rid) is None:
        raise not_found()
    try:
        sandbox.delete(odef.name, rid)
    except SaveError as exc:
        return save_error_response(exc)
    return Response(status_code=204)


@router.get("/sobjects/{obj}/{field}/{value}")
async def read_by_external_id(request: Request, obj: str, field: str, value: str) -> JSONResponse:
    """Read one record by external id."""
    odef = obj_or_404(obj)
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"get.{odef.name}")
    try:
        rid = sandbox.find_external(odef.name, field, value)
    except SaveError as exc:
        raise ApiError(400, exc.code, exc.message) from exc
    rec = sandbox.get(odef.name, rid) if rid else None
    if rec is None:
        raise not_found()
    return JSONResponse(serialize(rec, odef.name, base_of(request), _fields(request, odef.name)))


@router.patch("/sobjects/{obj}/{field}/{value}")
async def upsert(request: Request, obj: str, field: str, value: str) -> Response:
    """Upsert by external id: 201 when created, 200 with the result when updated."""
    odef = obj_or_404(obj)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    sandbox = sandbox_of(request)
    sandbox.calls.record(f"upsert.{odef.name}", 1)
    fdef = odef.field_ci(field)
    try:
        rec, created = sandbox.upsert(
            odef.name, fdef.name if fdef else field, value, body,
            user_id=user_of(request), allow_duplicates=allow_duplicates(request),
        )  # fmt: skip
    except SaveError as exc:
        return save_error_response(exc)
    return JSONResponse(save_result(rec, created=created), status_code=201 if created else 200)
