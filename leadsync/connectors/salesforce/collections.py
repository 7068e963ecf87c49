"""Writes through sObject Collections: 200 records a call, one result per record.

Rows refused with UNABLE_TO_LOCK_ROW are sent again on their own (never the whole batch),
up to ``lock_retries`` times with the retry policy's backoff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadsync.connectors.base import WriteOp, WriteResult
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.errors import LOCK_CODES
from leadsync.connectors.salesforce.soql import identifier
from leadsync.errors import FatalError

LIMIT = 200
Indexed = list[tuple[int, WriteOp]]


def write(
    client: SalesforceClient,
    object: str,  # noqa: A002
    ops: Indexed,
    headers: Mapping[str, str],
) -> dict[int, WriteResult]:
    """Apply ``ops`` (all of one kind and key field); return results by op index."""
    results: dict[int, WriteResult] = {}
    for start in range(0, len(ops), LIMIT):
        pending = ops[start : start + LIMIT]
        for attempt in range(client.settings.lock_retries + 1):
            for (index, _op), result in zip(
                pending, _send(client, object, pending, headers), strict=True
            ):
                results[index] = result
            pending = [(i, op) for i, op in pending if results[i].error_code in LOCK_CODES]
            if not pending or attempt == client.settings.lock_retries:
                break
            client.deps.retry.sleep(client.deps.retry.backoff(attempt + 1, None))
    return results


def _send(
    client: SalesforceClient,
    object: str,
    ops: Indexed,
    headers: Mapping[str, str],  # noqa: A002
) -> list[WriteResult]:
    kind = ops[0][1].kind
    if kind == "delete":
        ids = ",".join(str(op.id) for _, op in ops)
        params = {"ids": ids, "allOrNone": "false"}
        body = client.json("DELETE", "composite/sobjects", params=params, headers=headers)
    else:
        records = [_record(object, op) for _, op in ops]
        payload = {"allOrNone": False, "records": records}
        path = "composite/sobjects"
        if kind == "upsert":
            path += f"/{identifier(object)}/{identifier(str(ops[0][1].key_field))}"
        method = "POST" if kind == "create" else "PATCH"
        body = client.json(method, path, json=payload, headers=headers)
    if not isinstance(body, list) or len(body) != len(ops):
        raise FatalError(f"sObject Collections answered {len(body or [])} results for {len(ops)}")
    return [to_result(op, item) for (_, op), item in zip(ops, body, strict=True)]


def _record(object: str, op: WriteOp) -> dict[str, Any]:  # noqa: A002
    record: dict[str, Any] = {"attributes": {"type": object}, **op.fields}
    if op.kind == "update":
        record["Id"] = op.id
    return record


def to_result(op: WriteOp, item: Mapping[str, Any]) -> WriteResult:
    """One collections result item → :class:`WriteResult`."""
    if item.get("success"):
        return WriteResult(op.ref, _status(op, item.get("created")), item.get("id") or op.id)
    errors: Sequence[Mapping[str, Any]] = item.get("errors") or [{}]
    first = errors[0]
    code = first.get("statusCode") or first.get("errorCode")
    return WriteResult(
        op.ref,
        "failed",
        item.get("id") or op.id,
        error_code=code,
        error_message="; ".join(str(e.get("message", "")) for e in errors) or "failed",
        retryable=code in LOCK_CODES,
        fields=tuple(f for e in errors for f in e.get("fields") or ()),
    )


def _status(op: WriteOp, created: Any) -> Any:
    if op.kind == "delete":
        return "deleted"
    if op.kind == "create" or (op.kind == "upsert" and created):
        return "created"
    return "updated"
