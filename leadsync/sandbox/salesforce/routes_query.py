"""SOQL routes: ``query`` and ``queryAll`` with ``nextRecordsUrl`` paging (2,000 per page).

Follows the Salesforce REST API Developer Guide, "Query" / "QueryAll" and "Execute a SOQL
Query" (the response holds ``totalSize``, ``done``, ``records`` and, while more remain,
``nextRecordsUrl`` ``/services/data/vXX.X/query/01g...-2000``; queryAll also returns deleted
rows) (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm).
"""

from __future__ import annotations

import collections
import secrets
import threading
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from leadsync.sandbox.salesforce.ids import QUERY_LOCATOR_PREFIX
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.soql import Query, SoqlError, parse
from leadsync.sandbox.salesforce.wire import ApiError, base_of, sandbox_of, serialize

PAGE_SIZE = 2000
MAX_CURSORS = 200

router = APIRouter(prefix="/api")


class Cursors:
    """Open query locators (result rows kept as a snapshot), least recently used evicted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: collections.OrderedDict[str, tuple[Query, list[dict[str, Any]]]] = (
            collections.OrderedDict()
        )

    def add(self, query: Query, rows: list[dict[str, Any]]) -> str:
        """Keep ``rows`` under a new locator and return it."""
        locator = QUERY_LOCATOR_PREFIX + secrets.token_hex(8)[:15]
        with self._lock:
            self._open[locator] = (query, rows)
            while len(self._open) > MAX_CURSORS:
                self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> tuple[Query, list[dict[str, Any]]] | None:
        """The query and rows of an open locator."""
        with self._lock:
            return self._open.get(locator)


def _cursors(request: Request) -> Cursors:
    cursors: Cursors = request.app.state.query_cursors
    return cursors


def run_soql(
    sandbox: SalesforceSandbox, text: str, *, include_deleted: bool
) -> tuple[Query, list[dict[str, Any]]]:
    """Parse and run ``text``, mapping SOQL errors to 400 answers.

    Raises:
        ApiError: MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE.
    """
    try:
        query = parse(text)
    except SoqlError as exc:
        raise ApiError(400, exc.code, exc.message) from exc
    rows = sandbox.rows(query.obj.name, include_deleted=include_deleted)
    return query, query.run(rows)


def _page(
    request: Request, query: Query, rows: list[dict[str, Any]], start: int, locator: str | None
) -> JSONResponse:
    base = base_of(request)
    if query.count_only:
        return JSONResponse({"totalSize": len(rows), "done": True, "records": []})
    end = start + PAGE_SIZE
    obj = query.obj.name
    records = [serialize(r, obj, base, query.fields) for r in rows[start:end]]
    body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows), "records": records}
    if end < len(rows):
        locator = locator or _cursors(request).add(query, rows)
        endpoint = "queryAll" if request.url.path.startswith("/api/queryAll") else "query"
        body["nextRecordsUrl"] = f"{base}/{endpoint}/{locator}-{end}"
    return JSONResponse(body)


async def _query(request: Request, include_deleted: bool) -> JSONResponse:
    text = request.query_params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string is required (q=...)")
    sandbox = sandbox_of(request)
    query, rows = run_soql(sandbox, text, include_deleted=include_deleted)
    sandbox.calls.record("queryAll" if include_deleted else "query", min(len(rows), PAGE_SIZE))
    return _page(request, query, rows, 0, None)


async def _more(request: Request, cursor: str, include_deleted: bool) -> JSONResponse:
    locator, _, offset = cursor.partition("-")
    found = _cursors(request).get(locator)
    if found is None or not offset.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    query, rows = found
    start = int(offset)
    sandbox_of(request).calls.record(
        "queryAll" if include_deleted else "query", min(PAGE_SIZE, max(0, len(rows) - start))
    )
    return _page(request, query, rows, start, locator)


@router.get("/query")
async def query(request: Request) -> JSONResponse:
    """Run a SOQL query (live rows)."""
    return await _query(request, include_deleted=False)


@router.get("/queryAll")
async def query_all(request: Request) -> JSONResponse:
    """Run a SOQL query including deleted rows."""
    return await _query(request, include_deleted=True)


@router.get("/query/{cursor}")
async def query_more(request: Request, cursor: str) -> JSONResponse:
    """Next page of a query."""
    return await _more(request, cursor, include_deleted=False)


@router.get("/queryAll/{cursor}")
async def query_all_more(request: Request, cursor: str) -> JSONResponse:
    """Next page of a queryAll."""
    return await _more(request, cursor, include_deleted=True)
