"""Turn one webhook payload (generic JSON form, HubSpot form or workflow) into a Record.

Recognised shapes, tried in order:

- HubSpot form submission: ``{"fields": [{"name": ..., "value": ...}], "submittedAt": ms,
  "context": {...}, "conversionId": ...}``.
- HubSpot workflow webhook: ``{"objectId"|"vid": n, "properties": {name: value |
  {"value": ...}}}``.
- Generic JSON: ``{"fields"|"data": {...}, "id"|"submission_id": ..., "submitted_at": ...}``
  or a flat object of field values.

The record id is the payload's own submission id when it has one, else a hash of its content,
so a redelivered webhook yields the same id and the engine can drop the repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadsync.connectors.base import Record
from leadsync.errors import RejectedRecordError

_ID_KEYS = (
    "submissionId",
    "submission_id",
    "conversionId",
    "conversion-id",
    "id",
    "objectId",
    "vid",
)
_TIME_KEYS = ("submittedAt", "submitted_at", "occurredAt", "timestamp", "created_at")
_CONTEXT_KEYS = ("pageUri", "pageName", "hutk", "ipAddress")


def payload_to_record(
    payload: Mapping[str, Any],
    *,
    received_at: datetime,
    object: str = "submissions",  # noqa: A002
) -> Record:
    """Build the :class:`Record` for one webhook ``payload``.

    Args:
        payload: The decoded JSON body.
        received_at: When the webhook arrived (used when the payload has no time).
        object: Object name to put on the record.

    Returns:
        The record; ``updated_at`` is the submission time, ``fields`` flat name → value.

    Raises:
        RejectedRecordError: The payload is not an object or carries no field values.
    """
    if not isinstance(payload, Mapping):
        raise RejectedRecordError("form payload is not a JSON object", code="BAD_PAYLOAD")
    fields = _fields(payload)
    if not fields:
        raise RejectedRecordError("form payload carries no field values", code="EMPTY_PAYLOAD")
    context = payload.get("context")
    if isinstance(context, Mapping):
        fields.update({f"context.{k}": context[k] for k in _CONTEXT_KEYS if k in context})
    for key in ("formId", "form_id", "formGuid", "portalId"):
        if key in payload and key not in fields:
            fields[key] = payload[key]
    return Record(
        object=object,
        id=_record_id(payload),
        fields=fields,
        updated_at=_submitted_at(payload) or _as_utc(received_at),
    )


def _fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    raw = payload.get("fields", payload.get("data"))
    if isinstance(raw, list):  # HubSpot forms: a list of {name, value}
        out: dict[str, Any] = {}
        for item in raw:
            if isinstance(item, Mapping) and "name" in item:
                out[str(item["name"])] = item.get("value")
        return out
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items()}
    props = payload.get("properties")
    if isinstance(props, Mapping):  # HubSpot workflow: value or {"value": ...}
        return {str(k): (v.get("value") if isinstance(v, Mapping) else v) for k, v in props.items()}
    skip = set(_ID_KEYS) | set(_TIME_KEYS) | {"context"}
    return {
        str(k): v for k, v in payload.items() if k not in skip and not isinstance(v, Mapping | list)
    }


def _record_id(payload: Mapping[str, Any]) -> str:
    for key in _ID_KEYS:
        value = payload.get(key)
        if value not in (None, ""):
            return str(value)
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _submitted_at(payload: Mapping[str, Any]) -> datetime | None:
    for key in _TIME_KEYS:
        value = payload.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            # HubSpot sends epoch milliseconds; anything this large cannot be seconds.
            seconds = value / 1000 if value > 10**11 else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                continue  # out of range: fall back to the receive time
        if isinstance(value, str):
            try:
                return _as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                continue
    return None


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
