"""Bulk API 2.0 job state: ingest jobs (CSV rows run against the sandbox) and query jobs."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.sandbox.salesforce.ids import JOB_PREFIX, IdFactory, format_datetime
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.validation import SaveError

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
NULL_MARKER = "#N/A"


@dataclass
class Job:
    """One Bulk API 2.0 job (ingest or query)."""

    id: str
    kind: str  # "ingest" or "query"
    operation: str
    object: str
    created_by: str
    created: datetime
    delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id: str | None = None
    query: str | None = None
    state: str = "Open"
    data: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    successes: list[tuple[str, bool, dict[str, str]]] = field(default_factory=list)
    failures: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: tuple[str, ...] = ()
    error: str | None = None

    def info(self, api_version: str) -> dict[str, Any]:
        """The job info body (``Get Job Info``)."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(api_version),
            "jobType": "V2Ingest" if self.kind == "ingest" else "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
            "retries": 0,
            "totalProcessingTime": 0,
        }
        if self.kind == "ingest":
            body["externalIdFieldName"] = self.external_id
            body["numberRecordsProcessed"] = len(self.successes) + len(self.failures)
            body["numberRecordsFailed"] = len(self.failures)
        else:
            body["query"] = self.query
            body["numberRecordsProcessed"] = len(self.rows)
        if self.error:
            body["errorMessage"] = self.error
        return body


class JobStore:
    """Thread-safe registry of Bulk API 2.0 jobs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = IdFactory()
        self._jobs: dict[str, Job] = {}

    def new(self, sandbox: SalesforceSandbox, **kw: Any) -> Job:
        """Register a job."""
        job = Job(id=self._ids.new(JOB_PREFIX), created=sandbox.clock.now(), **kw)
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str, kind: str) -> Job | None:
        """The job, when it exists and is of ``kind``."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.kind == kind else None

    def delete(self, job_id: str) -> None:
        """Forget a job."""
        with self._lock:
            self._jobs.pop(job_id, None)

    def all(self, kind: str) -> list[Job]:
        """Every job of ``kind``."""
        with self._lock:
            return [j for j in self._jobs.values() if j.kind == kind]


def parse_csv(job: Job) -> list[dict[str, str]]:
    """The uploaded rows of ``job`` as dicts (header of the first upload)."""
    text = "".join(job.data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[job.delimiter])
    rows = [r for r in reader if r]
    if not rows:
        return []
    job.columns = rows[0]
    return [dict(zip(job.columns, r, strict=False)) for r in rows[1:]]


def _values(row: Mapping[str, str]) -> dict[str, Any]:
    return {k: (None if v == NULL_MARKER else v) for k, v in row.items()}


def _apply(sandbox: SalesforceSandbox, job: Job, row: dict[str, str]) -> tuple[Any, bool]:
    values = _values(row)
    record_id = next((v for k, v in values.items() if k.lower() == "id"), None)
    rest = {k: v for k, v in values.items() if k.lower() != "id"}
    kw: dict[str, Any] = {"user_id": job.created_by, "skip_empty": True}
    if job.operation == "insert":
        return sandbox.create(job.object, rest, **kw), True
    if job.operation == "upsert":
        assert job.external_id is not None
        key = next((v for k, v in values.items() if k.lower() == job.external_id.lower()), None)
        if not key:
            raise SaveError("MISSING_ARGUMENT", f"{job.external_id} not specified")
        return sandbox.upsert(job.object, job.external_id, key, rest, **kw)
    if not record_id:
        raise SaveError("MISSING_ARGUMENT", "Id not specified")
    if sandbox.get(job.object, record_id) is None:
        raise SaveError("ENTITY_IS_DELETED", "entity is deleted")
    if job.operation == "update":
        return sandbox.update(job.object, record_id, rest, **kw), False
    return sandbox.delete(job.object, record_id, hard=job.operation == "hardDelete"), False


def process_ingest(sandbox: SalesforceSandbox, job: Job) -> None:
    """Run every uploaded row; rows fail independently (Bulk API has no all-or-none)."""
    job.state = "InProgress"
    try:
        rows = parse_csv(job)
    except (csv.Error, KeyError) as exc:
        job.state, job.error = "Failed", f"InvalidBatch : {exc}"
        return
    sandbox.calls.record(f"bulk2.ingest.{job.operation}", len(rows))
    for row in rows:
        try:
            rec, created = _apply(sandbox, job, row)
            job.successes.append((rec["Id"], created, row))
        except SaveError as exc:
            fields = ",".join(exc.fields)
            job.failures.append(("", f"{exc.code}:{exc.message}:{fields} --", row))
    job.state = "JobComplete"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def to_csv(job: Job, header: list[str], rows: list[list[Any]]) -> str:
    """Render rows as CSV in the job's delimiter and line ending."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=DELIMITERS[job.delimiter], lineterminator=LINE_ENDINGS[job.line_ending]
    )
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()
