"""sObject Collections routes: create, update, upsert, delete and retrieve up to 200 records.

Follows the Salesforce REST API Developer Guide, "sObject Collections" ("Create Records Using
sObject Collections", "Update ...", "Upsert ...", "Delete ...": up to 200 records per call,
``allOrNone`` rolls back the whole request on any failure, SaveResults are returned in request
order) (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/
resources_composite_sobjects_collections.htm).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.salesforce.schema import OBJECTS
from leadsync.sandbox.salesforce.validation import SaveError
from leadsync.sandbox.salesforce.wire import (
    ApiError,
    allow_duplicates,
    base_of,
    created_ids_response,
    dumps,
    json_array_response,
    json_body,
    obj_or_404,
    sandbox_of,
    save_result,
    serialize,
    success_json,
    user_of,
)

MAX_RECORDS = 200
_ID_SPELLINGS = frozenset({"id", "Id", "iD", "ID"})
ROLLED_BACK = SaveError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
)

router = APIRouter(prefix="/api")
Op = Callable[[], Any]


def _too_many() -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
    )


async def _records(request: Request) -> tuple[list[dict[str, Any]], bool]:
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", 'Expected {"allOrNone": ..., "records": [...]}')
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise _too_many()
    for rec in records:
        if not isinstance(rec, dict) or not isinstance(rec.get("attributes"), dict):
            raise ApiError(400, "INVALID_INPUT", "Each record needs an attributes map with a type")
    return records, bool(body.get("allOrNone", False))


def _type_of(rec: Mapping[str, Any]) -> str:
    name = rec["attributes"].get("type")
    if isinstance(name, str) and name in OBJECTS:
        return name
    if not isinstance(name, str):
        raise SaveError("INVALID_TYPE", "sObject type is required in attributes")
    return obj_or_404_save(name)


def _insert_type(rec: Mapping[str, Any]) -> str:
    """The object a record to insert names; it must not carry an ``Id`` (in any case)."""
    if not rec.keys().isdisjoint(_ID_SPELLINGS):
        raise SaveError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
    name = rec["attributes"].get("type")
    if isinstance(name, str) and name in OBJECTS:
        return name  # _type_of's common case, without the call
    return _type_of(rec)


def obj_or_404_save(name: str) -> str:
    """Object name for a per-record type, as a per-record error when unknown."""
    try:
        return obj_or_404(name).name
    except ApiError as exc:
        raise SaveError("INVALID_TYPE", f"sObject type '{name}' is not supported.") from exc


def _results(raw: list[Any], all_or_none: bool, *, upsert: bool = False) -> Response:
    if set(map(type, raw)) <= {str}:
        return created_ids_response(raw)  # every record written (create_each gives ids)
    failed = any(isinstance(r, SaveError) for r in raw)
    created = False if upsert else None
    parts = []
    for item in raw:
        if isinstance(item, SaveError):
            parts.append(dumps(save_result(item, created=created)))
        elif all_or_none and failed:
            parts.append(dumps(save_result(ROLLED_BACK, created=created)))
        elif isinstance(item, str):
            parts.append(success_json(item))  # an id from create_each: no dictionary needed
        elif upsert:
            parts.append(dumps(save_result(item[0], created=item[1])))
        else:
            parts.append(dumps(save_result(item)))
    return json_array_response(parts)


def _run(request: Request, endpoint: str, ops: list[Op], all_or_none: bool) -> list[Any]:
    sandbox = sandbox_of(request)
    sandbox.calls.record(endpoint, len(ops))
    return sandbox.batch(ops, all_or_none=all_or_none)


@router.post("/composite/sobjects")
async def create(request: Request) -> Response:
    """Create up to 200 records of any emulated types."""
    records, all_or_none = await _records(request)
    sandbox = sandbox_of(request)
    sandbox.calls.record("composite.create", len(records))
    raw = sandbox.create_each(
        records,
        _insert_type,
        user_id=user_of(request),
        allow_duplicates=allow_duplicates(request),
        all_or_none=all_or_none,
    )
    return _results(raw, all_or_none)


@router.patch("/composite/sobjects")
async def update(request: Request) -> Response:
    """Update up to 200 records by Id."""
    records, all_or_none = await _records(request)
    sandbox, uid, dup = sandbox_of(request), user_of(request), allow_duplicates(request)

    def op(rec: dict[str, Any]) -> Op:
        def run() -> Any:
            fields = {k: v for k, v in rec.items() if k.lower() != "id"}
            record_id = next((v for k, v in rec.items() if k.lower() == "id"), None)
            if not isinstance(record_id, str):
                raise SaveError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            obj = _type_of(rec)
            if sandbox.get(obj, record_id) is None:
                raise SaveError("ENTITY_IS_DELETED", "entity is deleted or does not exist")
            return sandbox.update(obj, record_id, fields, user_id=uid, allow_duplicates=dup)

        return run

    raw = _run(request, "composite.update", [op(r) for r in records], all_or_none)
    return _results(raw, all_or_none)


@router.patch("/composite/sobjects/{obj}/{field}")
async def upsert(request: Request, obj: str, field: str) -> Response:
    """Upsert up to 200 records of one type by an external id field."""
    odef = obj_or_404(obj)
    fdef = odef.field_ci(field)
    if fdef is None or not fdef.external_id:
        raise ApiError(400, "INVALID_FIELD", f"Field {field} is not an external id on {odef.name}")
    records, all_or_none = await _records(request)
    sandbox, uid, dup = sandbox_of(request), user_of(request), allow_duplicates(request)

    def op(rec: dict[str, Any]) -> Op:
        def run() -> Any:
            value = next((v for k, v in rec.items() if k.lower() == fdef.name.lower()), None)
            if value in (None, ""):
                raise SaveError("MISSING_ARGUMENT", f"{fdef.name} not specified", [fdef.name])
            return sandbox.upsert(
                odef.name, fdef.name, str(value), rec, user_id=uid, allow_duplicates=dup
            )

        return run

    raw = _run(request, "composite.upsert", [op(r) for r in records], all_or_none)
    return _results(raw, all_or_none, upsert=True)


@router.delete("/composite/sobjects")
async def delete(request: Request) -> Response:
    """Delete up to 200 records given as ``?ids=a,b``."""
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if len(ids) > MAX_RECORDS:
        raise _too_many()
    all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"
    sandbox = sandbox_of(request)

    def op(record_id: str) -> Op:
        def run() -> Any:
            obj = sandbox.object_of(record_id)
            if obj is None:
                raise SaveError("MALFORMED_ID", f"malformed id {record_id}")
            return sandbox.delete(obj, record_id)

        return run

    raw = _run(request, "composite.delete", [op(i) for i in ids], all_or_none)
    body = _results(raw, all_or_none)
    return body


@router.get("/composite/sobjects/{obj}")
async def retrieve(request: Request, obj: str) -> JSONResponse:
    """Read up to 200 records by ``?ids=``; ``null`` for ids not found."""
    odef = obj_or_404(obj)
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if len(ids) > MAX_RECORDS:
        raise _too_many()
    fields = [f for f in request.query_params.get("fields", "").split(",") if f] or None
    sandbox = sandbox_of(request)
    sandbox.calls.record("composite.retrieve", len(ids))
    out = []
    for record_id in ids:
        rec = sandbox.get(odef.name, record_id) if len(record_id) in (15, 18) else None
        out.append(None if rec is None else serialize(rec, odef.name, base_of(request), fields))
    return JSONResponse(out)
