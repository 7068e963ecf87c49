"""Wire-format helpers shared by the Salesforce route modules: errors, records, request context."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.jsonio import loads
from leadsync.sandbox.salesforce.ids import format_datetime
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.schema import ObjectDef, object_def
from leadsync.sandbox.salesforce.validation import SaveError

API_VERSION = "60.0"
DUPLICATE_HEADER = "sforce-duplicate-rule-header"


class ApiError(Exception):
    """An error answered as ``[{"message", "errorCode", "fields"}]`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []

    def response(self) -> JSONResponse:
        """The error as a response."""
        body = [{"message": self.message, "errorCode": self.code, "fields": self.fields}]
        return JSONResponse(body, status_code=self.status)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """A Salesforce-shaped error response."""
    return ApiError(status, code, message).response()


def not_found() -> ApiError:
    """The 404 answer for a missing resource or record."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def sandbox_of(request: Request) -> SalesforceSandbox:
    """The sandbox serving ``request``."""
    sandbox: SalesforceSandbox = request.app.state.sandbox
    return sandbox


def user_of(request: Request) -> str | None:
    """The id of the authenticated user (set by the API gate)."""
    user_id = request.scope.get("state", {}).get("user_id")
    return str(user_id) if user_id else None


def base_of(request: Request) -> str:
    """``/services/data/vXX.X`` as the client called it."""
    return str(request.scope.get("state", {}).get("api_base", f"/services/data/v{API_VERSION}"))


def allow_duplicates(request: Request) -> bool:
    """True when ``Sforce-Duplicate-Rule-Header: allowSave=true`` was sent."""
    header = request.headers.get(DUPLICATE_HEADER, "").replace(" ", "").lower()
    return "allowsave=true" in header


def obj_or_404(name: str) -> ObjectDef:
    """The object definition, or the NOT_FOUND error real Salesforce gives."""
    odef = object_def(name)
    if odef is None:
        raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
    return odef


async def json_body(request: Request) -> Any:
    """Parse the JSON request body, raising JSON_PARSER_ERROR like Salesforce."""
    raw = await request.body()
    try:
        return loads(raw or b"null")
    except ValueError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc


def wire_value(value: Any) -> Any:
    """A stored value as JSON (date-times in Salesforce format)."""
    return format_datetime(value) if isinstance(value, datetime) else value


def serialize(
    rec: Mapping[str, Any], obj: str, base: str, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """A record as the REST API shows it, with ``attributes {type, url}`` first."""
    out: dict[str, Any] = {"attributes": {"type": obj, "url": f"{base}/sobjects/{obj}/{rec['Id']}"}}
    for name in rec if fields is None else fields:
        out[name] = wire_value(rec.get(name))
    return out


def save_result(
    result: Mapping[str, Any] | SaveError, *, created: bool | None = None
) -> dict[str, Any]:
    """A SaveResult/UpsertResult entry for a record or a per-record error."""
    if isinstance(result, SaveError):
        out: dict[str, Any] = {"id": None, "success": False, "errors": [result.as_error()]}
    else:
        out = {"id": result["Id"], "success": True, "errors": []}
    if created is not None:
        out["created"] = created and not isinstance(result, SaveError)
    return out


def dumps(value: Any) -> str:
    """JSON text exactly as Starlette's ``JSONResponse`` renders it (compact, UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


_SUCCESS_HEAD, _SUCCESS_TAIL = '{"id":"', '","success":true,"errors":[]}'


def success_json(record_id: str) -> str:
    """The JSON text of ``save_result`` for a successful write of ``record_id``.

    Ids are minted by the sandbox (base-62 letters and digits), so they need no escaping.
    """
    return _SUCCESS_HEAD + record_id + _SUCCESS_TAIL


def created_ids_response(ids: list[str]) -> Response:
    """The SaveResult array for ids that were all written: ``[success_json(i), ...]``.

    One ``join`` for the whole array: batches of 200 successes are the common answer.
    """
    if not ids:
        return json_array_response([])
    body = _SUCCESS_HEAD + (_SUCCESS_TAIL + "," + _SUCCESS_HEAD).join(ids) + _SUCCESS_TAIL
    return Response(f"[{body}]".encode(), media_type="application/json")


def json_array_response(parts: list[str], status_code: int = 200) -> Response:
    """A JSON array answer from already rendered elements (same bytes as ``JSONResponse``)."""
    body = "[" + ",".join(parts) + "]"
    return Response(body.encode(), status_code=status_code, media_type="application/json")


def save_error_response(exc: SaveError) -> Response:
    """A single-record write failure: 400 (404 for NOT_FOUND) with the REST error body."""
    status = 404 if exc.code == "NOT_FOUND" else 400
    return JSONResponse([exc.as_api_error()], status_code=status)
