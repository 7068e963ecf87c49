"""Bulk API 2.0 routes: ingest jobs (CSV upload, UploadComplete, results) and query jobs.

Follows the Bulk API 2.0 and Bulk API Developer Guide: "Create a Job", "Upload Job Data"
(PUT .../batches, 201 Created), "Close or Abort a Job" (PATCH state UploadComplete), "Get Job
Info", "Get Job Successful Record Results" (sf__Id, sf__Created + original columns), "Get Job
Failed Record Results" (sf__Id, sf__Error + columns), "Get Job Unprocessed Record Results" and
"Get Results for a Query Job" (Sforce-Locator / Sforce-NumberOfRecords headers)
(https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/).
Ingest jobs are processed synchronously when the client marks the upload complete.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadsync.sandbox.salesforce.bulk import (
    DELIMITERS,
    INGEST_OPERATIONS,
    LINE_ENDINGS,
    Job,
    JobStore,
    parse_csv,
    process_ingest,
    to_csv,
)
from leadsync.sandbox.salesforce.routes_query import run_soql
from leadsync.sandbox.salesforce.wire import (
    ApiError,
    base_of,
    json_body,
    obj_or_404,
    sandbox_of,
    user_of,
)

router = APIRouter(prefix="/api/jobs")
CSV_TYPE = "text/csv"


def _jobs(request: Request) -> JobStore:
    store: JobStore = request.app.state.bulk_jobs
    return store


def _version(request: Request) -> str:
    return base_of(request).rsplit("/v", 1)[1]


def _job(request: Request, job_id: str, kind: str) -> Job:
    job = _jobs(request).get(job_id, kind)
    if job is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


async def _options(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
        raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
    return {**body, "columnDelimiter": delimiter, "lineEnding": line_ending}


@router.post("/ingest")
async def create_ingest(request: Request) -> JSONResponse:
    """Create an ingest job in state Open."""
    body = await _options(request)
    operation = body.get("operation")
    if operation not in INGEST_OPERATIONS:
        raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
    odef = obj_or_404(str(body.get("object", "")))
    external = body.get("externalIdFieldName")
    if operation == "upsert":
        fdef = odef.field_ci(str(external or ""))
        if fdef is None or not fdef.external_id:
            raise ApiError(400, "INVALIDJOB", "externalIdFieldName must be an external id field")
        external = fdef.name
    sandbox = sandbox_of(request)
    sandbox.calls.record("bulk2.ingest.create")
    job = _jobs(request).new(
        sandbox, kind="ingest", operation=operation, object=odef.name,
        created_by=user_of(request) or sandbox.admin_user_id, delimiter=body["columnDelimiter"],
        line_ending=body["lineEnding"], external_id=external,
    )  # fmt: skip
    return JSONResponse(job.info(_version(request)))


@router.get("/ingest")
async def list_ingest(request: Request) -> JSONResponse:
    """Every ingest job."""
    jobs = [j.info(_version(request)) for j in _jobs(request).all("ingest")]
    return JSONResponse({"done": True, "records": jobs, "nextRecordsUrl": None})


@router.put("/ingest/{job_id}/batches")
async def upload(request: Request, job_id: str) -> Response:
    """Append CSV data to an Open job: 201."""
    job = _job(request, job_id, "ingest")
    if job.state != "Open":
        raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is not Open (state {job.state})")
    text = (await request.body()).decode("utf-8")
    if job.data:
        # Later uploads repeat the header row; keep only their data rows.
        text = text.split(LINE_ENDINGS[job.line_ending], 1)[1] if "\n" in text else ""
    job.data.append(text)
    sandbox_of(request).calls.record("bulk2.ingest.upload")
    return Response(status_code=201)


@router.patch("/ingest/{job_id}")
async def set_state(request: Request, job_id: str) -> JSONResponse:
    """UploadComplete processes the job; Aborted leaves every row unprocessed."""
    job = _job(request, job_id, "ingest")
    body = await json_body(request)
    state = body.get("state") if isinstance(body, dict) else None
    if state not in ("UploadComplete", "Aborted") or job.state != "Open":
        raise ApiError(400, "INVALIDJOBSTATE", f"Cannot change state from {job.state} to {state}")
    sandbox = sandbox_of(request)
    sandbox.calls.record("bulk2.ingest.state")
    if state == "Aborted":
        job.state = "Aborted"
        job.unprocessed = parse_csv(job)
        return JSONResponse(job.info(_version(request)))
    job.state = "UploadComplete"
    answer = job.info(_version(request))
    process_ingest(sandbox, job)
    return JSONResponse(answer)


@router.get("/ingest/{job_id}")
async def ingest_info(request: Request, job_id: str) -> JSONResponse:
    """Job info."""
    sandbox_of(request).calls.record("bulk2.ingest.info")
    return JSONResponse(_job(request, job_id, "ingest").info(_version(request)))


@router.delete("/ingest/{job_id}")
async def delete_ingest(request: Request, job_id: str) -> Response:
    """Delete a job."""
    _job(request, job_id, "ingest")
    _jobs(request).delete(job_id)
    return Response(status_code=204)


def _csv(job: Job, header: list[str], rows: list[list[Any]]) -> Response:
    return Response(to_csv(job, header, rows), media_type=CSV_TYPE)


@router.get("/ingest/{job_id}/successfulResults")
async def successful(request: Request, job_id: str) -> Response:
    """sf__Id, sf__Created and the original columns of each processed row."""
    job = _job(request, job_id, "ingest")
    rows = [
        [rid, created, *(row.get(c) for c in job.columns)] for rid, created, row in job.successes
    ]
    return _csv(job, ["sf__Id", "sf__Created", *job.columns], rows)


@router.get("/ingest/{job_id}/failedResults")
async def failed(request: Request, job_id: str) -> Response:
    """sf__Id, sf__Error and the original columns of each failed row."""
    job = _job(request, job_id, "ingest")
    rows = [[rid, err, *(row.get(c) for c in job.columns)] for rid, err, row in job.failures]
    return _csv(job, ["sf__Id", "sf__Error", *job.columns], rows)


@router.get("/ingest/{job_id}/unprocessedrecords")
@router.get("/ingest/{job_id}/unprocessedRecords")
async def unprocessed(request: Request, job_id: str) -> Response:
    """Rows uploaded but never processed (aborted jobs)."""
    job = _job(request, job_id, "ingest")
    rows = [[row.get(c) for c in job.columns] for row in job.unprocessed]
    return _csv(job, job.columns, rows)


@router.post("/query")
async def create_query(request: Request) -> JSONResponse:
    """Create a query job; it is run at once and completes immediately."""
    body = await _options(request)
    operation = body.get("operation", "query")
    if operation not in ("query", "queryAll") or not isinstance(body.get("query"), str):
        raise ApiError(400, "INVALIDJOB", "operation must be query or queryAll, with a query")
    sandbox = sandbox_of(request)
    query, rows = run_soql(sandbox, body["query"], include_deleted=operation == "queryAll")
    if query.count_only:
        raise ApiError(400, "INVALIDJOB", "Aggregate queries are not supported by Bulk API 2.0")
    sandbox.calls.record("bulk2.query.create")
    job = _jobs(request).new(
        sandbox, kind="query", operation=operation, object=query.obj.name,
        created_by=user_of(request) or sandbox.admin_user_id, delimiter=body["columnDelimiter"],
        line_ending=body["lineEnding"], query=body["query"],
    )  # fmt: skip
    job.rows, job.fields = rows, query.fields
    answer = job.info(_version(request))
    answer["state"] = "UploadComplete"
    job.state = "JobComplete"
    return JSONResponse(answer)


@router.get("/query/{job_id}")
async def query_info(request: Request, job_id: str) -> JSONResponse:
    """Query job info."""
    sandbox_of(request).calls.record("bulk2.query.info")
    return JSONResponse(_job(request, job_id, "query").info(_version(request)))


@router.delete("/query/{job_id}")
async def delete_query(request: Request, job_id: str) -> Response:
    """Delete a query job."""
    _job(request, job_id, "query")
    _jobs(request).delete(job_id)
    return Response(status_code=204)


@router.get("/query/{job_id}/results")
async def query_results(request: Request, job_id: str) -> Response:
    """One page of CSV results; ``Sforce-Locator`` names the next page or is ``null``."""
    job = _job(request, job_id, "query")
    params = request.query_params
    try:
        start = int(params.get("locator") or 0)
        size = max(1, int(params.get("maxRecords") or 50000))
    except ValueError as exc:
        raise ApiError(400, "INVALIDLOCATOR", "invalid locator or maxRecords") from exc
    page = job.rows[start : start + size]
    sandbox_of(request).calls.record("bulk2.query.results", len(page))
    rows = [[r.get(f) for f in job.fields] for r in page]
    response = _csv(job, list(job.fields), rows)
    more = start + size < len(job.rows)
    response.headers["Sforce-Locator"] = str(start + size) if more else "null"
    response.headers["Sforce-NumberOfRecords"] = str(len(page))
    return response
