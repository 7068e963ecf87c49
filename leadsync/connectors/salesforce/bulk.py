"""Writes through Bulk API 2.0 ingest jobs, every row's outcome read back.

A job is created, its CSV uploaded, closed and polled; then ``successfulResults``,
``failedResults`` and ``unprocessedrecords`` are read so no row is left without a result.
Bulk answers echo each row's columns, which is how rows are matched back to ops.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict, deque
from typing import Any

from leadsync.connectors.base import WriteOp, WriteResult
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.collections import Indexed
from leadsync.connectors.salesforce.errors import LOCK_CODES
from leadsync.errors import FatalError, RetryableError

_OPERATIONS = {"create": "insert", "update": "update", "upsert": "upsert", "delete": "delete"}
_DONE = {"JobComplete", "Failed", "Aborted"}


def write(client: SalesforceClient, object: str, ops: Indexed) -> dict[int, WriteResult]:  # noqa: A002
    """Run one ingest job for ``ops`` (one kind, one key field); results by op index."""
    kind, key_field = ops[0][1].kind, ops[0][1].key_field
    columns, rows = _table(ops)
    spec: dict[str, Any] = {"object": object, "operation": _OPERATIONS[kind],
                            "contentType": "CSV", "lineEnding": "LF"}  # fmt: skip
    if kind == "upsert":
        spec["externalIdFieldName"] = key_field
    job = client.json("POST", "jobs/ingest", json=spec)["id"]
    client.call("PUT", f"jobs/ingest/{job}/batches", data=_csv(columns, rows),
                headers={"Content-Type": "text/csv"})  # fmt: skip
    client.json("PATCH", f"jobs/ingest/{job}", json={"state": "UploadComplete"})
    state = _wait(client, job)
    waiting: dict[tuple[str, ...], deque[tuple[int, WriteOp]]] = defaultdict(deque)
    for (index, op), row in zip(ops, rows, strict=True):
        waiting[tuple(row)].append((index, op))
    results: dict[int, WriteResult] = {}
    for part in ("successfulResults", "failedResults", "unprocessedrecords"):
        for answer in _read_csv(client.call("GET", f"jobs/ingest/{job}/{part}/").text):
            key = tuple(answer.get(c, "") for c in columns)
            if waiting[key]:
                index, op = waiting[key].popleft()
                results[index] = _result(op, part, answer, state)
    for pending in waiting.values():
        for index, op in pending:  # never silent: a row Salesforce did not report is a failure
            results[index] = WriteResult(op.ref, "failed", op.id, error_code="BULK_NO_RESULT",
                                         error_message=f"job {job} reported nothing for this row",
                                         retryable=True)  # fmt: skip
    return results


def _table(ops: Indexed) -> tuple[list[str], list[list[str]]]:
    kind = ops[0][1].kind
    if kind == "delete":
        return ["Id"], [[str(op.id)] for _, op in ops]
    names = list(dict.fromkeys(name for _, op in ops for name in op.fields))
    columns = ["Id", *names] if kind == "update" else names
    # "#N/A" nulls a field on update/upsert; an empty cell would leave it unchanged.
    blank = "" if kind == "create" else "#N/A"
    rows = []
    for _, op in ops:
        values = {**op.fields, "Id": op.id}
        rows.append([blank if values.get(c) is None else _cell(values[c]) for c in columns])
    return columns, rows


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(columns: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text))) if text.strip() else []


def _wait(client: SalesforceClient, job: str) -> str:
    deadline = client.deps.retry.clock() + client.settings.bulk_timeout
    while True:
        info = client.json("GET", f"jobs/ingest/{job}")
        state = str(info.get("state"))
        if state in _DONE:
            if state != "JobComplete" and not info.get("numberRecordsProcessed"):
                message = str(info.get("errorMessage") or state)
                raise FatalError(f"Bulk job {job} {state}: {message}", code="BULK_JOB_FAILED")
            return state
        if client.deps.retry.clock() > deadline:
            raise RetryableError(f"Bulk job {job} still {state}", code="BULK_TIMEOUT")
        client.deps.sleep(client.settings.bulk_poll_interval)


def _result(op: WriteOp, part: str, row: dict[str, str], state: str) -> WriteResult:
    record_id = row.get("sf__Id") or op.id or None
    if part == "successfulResults":
        created = row.get("sf__Created", "").lower() == "true"
        status = "deleted" if op.kind == "delete" else "created" if created else "updated"
        return WriteResult(op.ref, status, record_id)  # type: ignore[arg-type]
    if part == "unprocessedrecords":
        message = f"row not processed (job {state})"
        return WriteResult(op.ref, "failed", record_id, "BULK_UNPROCESSED", message, retryable=True)
    code, _, message = row.get("sf__Error", "").partition(":")
    retryable = code in LOCK_CODES
    return WriteResult(
        op.ref, "failed", record_id, code or None, message.strip() or code, retryable
    )
