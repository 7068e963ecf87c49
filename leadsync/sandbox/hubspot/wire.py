"""Wire-format helpers shared by the HubSpot routes: record JSON, batch envelopes, request bits.

Record JSON follows ``SimplePublicObject`` / ``SimplePublicObjectWithAssociations`` and batch
envelopes ``BatchResponseSimplePublicObject(WithErrors)`` of contacts-v3.json. As the live API
does (and unlike the published schema, which omits ``nullable``), a requested property that has
no value is sent as ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Request

from leadsync.sandbox.hubspot.errors import HubSpotError, validation
from leadsync.sandbox.hubspot.properties import iso_ms
from leadsync.sandbox.hubspot.store import HubSpotObject, ObjectTypeSpec
from leadsync.sandbox.jsonio import loads

if TYPE_CHECKING:
    from leadsync.sandbox.hubspot.sandbox import HubSpotSandbox

MAX_BATCH = 100
_ALWAYS = ("createdate", "hs_object_id")


def sandbox_of(request: Request) -> HubSpotSandbox:
    """The sandbox serving this request."""
    sandbox: HubSpotSandbox = request.app.state.sandbox
    return sandbox


def count_records(request: Request, n: int) -> None:
    """Tell the call accounting how many records this request carried."""
    request.state.records = n


async def read_body(request: Request) -> dict[str, Any]:
    """Parse a JSON object body.

    Raises:
        HubSpotError: 400 VALIDATION_ERROR when the body is not a JSON object.
    """
    raw = await request.body()
    try:
        body = loads(raw or b"{}")
    except ValueError:
        raise validation("Invalid input JSON on line 1: could not parse the request body") from None
    if not isinstance(body, dict):
        raise validation("Invalid input JSON: expected an object")
    return body


def batch_inputs(body: Mapping[str, Any]) -> list[Any]:
    """The ``inputs`` of a batch body, at most 100 as HubSpot enforces.

    Raises:
        HubSpotError: 400 VALIDATION_ERROR for a missing list or more than 100 inputs.
    """
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("Invalid input JSON: inputs must be a list")
    if len(inputs) > MAX_BATCH:
        raise HubSpotError(
            400,
            "VALIDATION_ERROR",
            f"Batch input limit exceeded. Maximum inputs allowed is {MAX_BATCH}; "
            f"received {len(inputs)}.",
            context={"maxInputs": [str(MAX_BATCH)]},
        )
    return inputs


def split_names(values: Sequence[str] | None) -> list[str]:
    """Query list values, accepting repeated and comma-separated forms."""
    return [n.strip() for v in values or () for n in v.split(",") if n.strip()]


def object_json(
    spec: ObjectTypeSpec,
    obj: HubSpotObject,
    requested: Sequence[str] | None = None,
    *,
    everything: bool = False,
    history: Sequence[str] = (),
) -> dict[str, Any]:
    """Render a record as ``SimplePublicObject`` JSON.

    Args:
        spec: The record's object type.
        obj: The record.
        requested: Property names asked for; empty means the type's default properties.
        everything: Send every stored property (answers to writes).
        history: Properties to send with their versions (``propertiesWithHistory``).
    """
    if everything:
        properties: dict[str, str | None] = dict(obj.properties)
    else:
        names = list(requested or spec.default_properties)
        names += [n for n in (*_ALWAYS, spec.modified_property) if n not in names]
        properties = {n: obj.properties.get(n) for n in names}
    out: dict[str, Any] = {
        "id": str(obj.id),
        "properties": properties,
        "createdAt": iso_ms(obj.created_ms),
        "updatedAt": iso_ms(obj.updated_ms),
        "archived": obj.archived_ms is not None,
    }
    if obj.archived_ms is not None:
        out["archivedAt"] = iso_ms(obj.archived_ms)
    if history:
        out["propertiesWithHistory"] = {
            name: [
                {
                    "value": value,
                    "timestamp": iso_ms(ms),
                    "sourceType": "API",
                    "sourceId": "sandbox",
                }
                for value, ms in obj.versions(name)
            ]
            for name in history
        }
    return out


def batch_json(
    results: Iterable[dict[str, Any]],
    started_ms: int,
    finished_ms: int,
    errors: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Render a ``BatchResponse...`` envelope (with ``errors`` only when there are some)."""
    out: dict[str, Any] = {
        "status": "COMPLETE",
        "results": list(results),
        "requestedAt": iso_ms(started_ms),
        "startedAt": iso_ms(started_ms),
        "completedAt": iso_ms(finished_ms),
    }
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = list(errors)
    return out


def standard_error(category: str, message: str, context: Mapping[str, list[str]]) -> dict[str, Any]:
    """One ``StandardError`` entry of a 207 batch answer."""
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": dict(context),
        "errors": [],
        "links": {},
    }
