"""HubSpot batch writes (100 inputs a call) with every input's outcome reported.

HubSpot refuses a whole create/upsert batch (400/409) when some inputs are bad. The inputs it
names are failed and the rest resent; when it names none the batch is halved until the bad
input stands alone, so one bad record costs a few calls, never the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)

from leadsync.connectors.base import WriteOp, WriteResult
from leadsync.connectors.hubspot.client import BatchRejectedError, HubSpotApi

LIMIT = 100
Indexed = list[tuple[int, WriteOp]]


def write(api: HubSpotApi, object: str, ops: Indexed) -> dict[int, WriteResult]:  # noqa: A002
    """Apply ``ops`` (one kind, one key field) in batches; results by op index."""
    results: dict[int, WriteResult] = {}
    for start in range(0, len(ops), LIMIT):
        results.update(_isolating(api, object, ops[start : start + LIMIT]))
    return results


def _isolating(api: HubSpotApi, object: str, ops: Indexed) -> dict[int, WriteResult]:  # noqa: A002
    try:
        return _send(api, object, ops)
    except BatchRejectedError as exc:
        named = [i for i in exc.indexes if i < len(ops)]
        if len(ops) == 1 or named:
            bad = named or [0]
            out = {ops[i][0]: _failed(ops[i][1], exc) for i in bad}
            rest = [op for i, op in enumerate(ops) if i not in set(bad)]
        else:
            half = len(ops) // 2
            out = _isolating(api, object, ops[:half])
            rest = ops[half:]
        if rest:
            out.update(_isolating(api, object, rest))
        return out


def _failed(op: WriteOp, exc: BatchRejectedError) -> WriteResult:
    return WriteResult(op.ref, "failed", op.id, error_code=exc.code or f"HTTP_{exc.status}",
                       error_message=exc.message)  # fmt: skip


def _send(api: HubSpotApi, object: str, ops: Indexed) -> dict[int, WriteResult]:  # noqa: A002
    kind = ops[0][1].kind
    if kind == "delete":
        body = BatchInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=op.id) for _, op in ops]
        )
        api.call(
            lambda sdk: sdk.crm.objects.batch_api.archive(object, body, _preload_content=False)
        )
        return {i: WriteResult(op.ref, "deleted", op.id) for i, op in ops}
    answer = api.call(lambda sdk: _request(sdk, object, ops), per_record=True) or {}
    return _match(ops, answer)


def _request(sdk: Any, object: str, ops: Indexed) -> Any:  # noqa: A002
    batch = sdk.crm.objects.batch_api
    kind = ops[0][1].kind
    props = [{k: _text(v) for k, v in op.fields.items()} for _, op in ops]
    if kind == "create":
        inputs = [SimplePublicObjectBatchInputForCreate(properties=p, object_write_trace_id=op.ref)
                  for (_, op), p in zip(ops, props, strict=True)]  # fmt: skip
        body = BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
        return batch.create(object, body, _preload_content=False)
    if kind == "update":
        inputs = [SimplePublicObjectBatchInput(id=op.id, properties=p, object_write_trace_id=op.ref)
                  for (_, op), p in zip(ops, props, strict=True)]  # fmt: skip
        return batch.update(object, BatchInputSimplePublicObjectBatchInput(inputs=inputs),
                            _preload_content=False)  # fmt: skip
    key = str(ops[0][1].key_field)
    upserts = [
        SimplePublicObjectBatchInputUpsert(
            id_property=key, id=str(op.fields[key]), properties=p, object_write_trace_id=op.ref
        )
        for (_, op), p in zip(ops, props, strict=True)
    ]
    return batch.upsert(object, BatchInputSimplePublicObjectBatchInputUpsert(inputs=upserts),
                        _preload_content=False)  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None:
        return ""  # HubSpot clears a property written as the empty string
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _match(ops: Indexed, answer: dict[str, Any]) -> dict[int, WriteResult]:
    """Pair results with ops: by trace id, else by id / key value, else by position."""
    rows: Sequence[dict[str, Any]] = answer.get("results") or []
    kind, key = ops[0][1].kind, ops[0][1].key_field
    by_trace = {str(r["objectWriteTraceId"]): r for r in rows if r.get("objectWriteTraceId")}
    by_id = {str(r.get("id")): r for r in rows}
    by_key = {str((r.get("properties") or {}).get(key or "", "")).lower(): r for r in rows}
    missing = _missing_ids(answer)
    out: dict[int, WriteResult] = {}
    for position, (index, op) in enumerate(ops):
        row = by_trace.get(op.ref)
        if row is None and kind == "update":
            row = by_id.get(str(op.id))
        elif row is None and kind == "upsert":
            row = by_key.get(str(op.fields.get(key or "", "")).lower())
        elif row is None and kind == "create" and not by_trace and len(rows) == len(ops):
            row = rows[position]
        if row is None:
            code = "OBJECT_NOT_FOUND" if str(op.id) in missing else "NO_RESULT"
            out[index] = WriteResult(
                op.ref, "failed", op.id, code, f"HubSpot reported no result ({code})"
            )
            continue
        created = kind == "create" or (kind == "upsert" and bool(row.get("new")))
        out[index] = WriteResult(op.ref, "created" if created else "updated", str(row.get("id")))
    return out


def _missing_ids(answer: dict[str, Any]) -> set[str]:
    return {
        str(i)
        for e in answer.get("errors") or ()
        for i in (e.get("context") or {}).get("ids") or ()
    }
