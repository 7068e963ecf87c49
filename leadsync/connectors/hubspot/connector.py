"""HubSpotConnector: search-based incremental reads, batch writes, owners, associations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from leadsync.connectors.base import (
    Capabilities,
    Destination,
    FieldInfo,
    ObjectSchema,
    Owner,
    Record,
    Source,
    WriteOp,
    WriteResult,
)
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.hubspot import reads, writes
from leadsync.connectors.hubspot.client import HubSpotApi
from leadsync.connectors.hubspot.settings import HubSpotSettings
from leadsync.errors import ConfigError

OBJECTS = ("contacts", "companies")
UNIQUE_KEYS = {"contacts": "email"}
_READ_ONLY = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"})


class HubSpotConnector(Source, Destination):
    """Reads and writes HubSpot contacts and companies through the CRM v3/v4 APIs."""

    name = "hubspot"
    settings_model = HubSpotSettings
    capabilities = Capabilities(
        objects=OBJECTS,
        max_batch_size=writes.LIMIT,
        upsert_keys=("email",),
        incremental_cursor="lastmodifieddate",
        deletes=True,
        owner_field="hubspot_owner_id",
        extra={
            "search_page": reads.SEARCH_LIMIT,
            "search_cap": reads.SEARCH_CAP,
            "accounts": {
                "object": "companies",
                "name": "name",
                "website": "domain",
                "owner": "hubspot_owner_id",
            },
        },
    )

    def __init__(self, settings: HubSpotSettings, *, deps: ConnectorDeps | None = None) -> None:
        self.settings = settings
        self.deps = deps or ConnectorDeps()
        self.api = HubSpotApi(settings, self.deps)
        self._schemas: dict[str, ObjectSchema] = {}

    def __repr__(self) -> str:
        return f"HubSpotConnector(settings={self.settings!r})"

    def check(self) -> None:
        """Authenticate and read one owner page."""
        self.api.call(
            lambda sdk: sdk.crm.owners.owners_api.get_page(limit=1, _preload_content=False)
        )

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        """Every property of ``object`` (one call, cached per connector)."""
        _check(object)
        if object not in self._schemas:
            body = self.api.call(
                lambda sdk: sdk.crm.properties.core_api.get_all(object, _preload_content=False)
            )
            fields = tuple(_field_info(p) for p in body.get("results", []))
            self._schemas[object] = ObjectSchema(object, fields)
        return self._schemas[object]

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Records modified at or after ``since``, oldest first.

        Archived and merged-away records come with ``deleted=True`` (merged: ``merged_into``).
        """
        _check(object)
        props = self.settings.properties.get(object) or [
            f.name for f in self.describe(object).fields
        ]
        return reads.read(self.api, object, props, since)

    def read_ids(self, object: str, ids: Sequence[str]) -> list[Record]:  # noqa: A002
        """Current state of records by id via batch read (100 a call, properties in the body).

        Ids that no longer resolve are left out.
        """
        _check(object)
        props = self.settings.properties.get(object) or [
            f.name for f in self.describe(object).fields
        ]
        found: list[Record] = []
        for start in range(0, len(ids), 100):
            body = {"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": props}
            page = self.api.call(partial(_batch_read, object=object, body=body))
            for row in (page or {}).get("results", []):
                found.append(reads.live_record(object, row))
        return found

    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        """Apply ``ops`` in batches of 100 (upserts keyed by a unique property, e.g. email)."""
        _check(object)
        results: dict[int, WriteResult] = {}
        groups: dict[tuple[str, str | None], writes.Indexed] = {}
        for index, op in enumerate(ops):
            problem = _invalid(object, op)
            if problem:
                results[index] = WriteResult(op.ref, "failed", op.id, "INVALID_OP", problem)
            else:
                groups.setdefault((op.kind, op.key_field), []).append((index, op))
        for group in groups.values():
            results.update(writes.write(self.api, object, group))
        return [results[i] for i in range(len(ops))]

    def owners(self) -> list[Owner]:
        """Every owner; archived ones are inactive."""
        found: list[Owner] = []
        for archived in (False, True):
            after: str | None = None
            while True:
                query = {"limit": 500, "after": after, "archived": archived}
                page = self.api.call(partial(_owners_page, query=query))
                for row in page.get("results", []):
                    name = " ".join(p for p in (row.get("firstName"), row.get("lastName")) if p)
                    found.append(
                        Owner(str(row["id"]), str(row.get("email") or ""), name, not archived)
                    )
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return found

    def associate(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Link contacts to companies with the default association, 100 pairs a call.

        Args:
            pairs: ``(contact_id, company_id)`` pairs.
        """
        for start in range(0, len(pairs), 100):
            inputs = [{"from": {"id": c}, "to": {"id": co}} for c, co in pairs[start : start + 100]]
            self.api.call(partial(_associations, method="create_default", body={"inputs": inputs}))

    def companies_of(self, contact_ids: Sequence[str]) -> dict[str, list[str]]:
        """Company ids associated with each contact (batch read, 100 a call)."""
        out: dict[str, list[str]] = {c: [] for c in contact_ids}
        for start in range(0, len(contact_ids), 100):
            body = {"inputs": [{"id": c} for c in contact_ids[start : start + 100]]}
            page = self.api.call(partial(_associations, method="get_page", body=body))
            for row in (page or {}).get("results", []):
                contact = str(row["from"]["id"])
                out[contact] = [str(t["toObjectId"]) for t in row.get("to", [])]
        return out


def _batch_read(sdk: Any, *, object: str, body: dict[str, Any]) -> Any:  # noqa: A002
    return sdk.crm.objects.batch_api.read(object, body, archived=False, _preload_content=False)


def _owners_page(sdk: Any, *, query: dict[str, Any]) -> Any:
    return sdk.crm.owners.owners_api.get_page(**query, _preload_content=False)


def _associations(sdk: Any, *, method: str, body: dict[str, Any]) -> Any:
    call = getattr(sdk.crm.associations.v4.batch_api, method)
    return call("contacts", "companies", body, _preload_content=False)


def _check(object: str) -> None:  # noqa: A002
    if object not in OBJECTS:
        raise ConfigError(f"HubSpot object {object!r} is not supported; use one of {OBJECTS}")


def _invalid(object: str, op: WriteOp) -> str | None:  # noqa: A002
    if op.kind in ("update", "delete") and not op.id:
        return f"{op.kind} needs an id"
    if op.kind == "upsert":
        if op.key_field != UNIQUE_KEYS.get(object):
            return f"{object} upsert needs key_field={UNIQUE_KEYS.get(object)!r}"
        if not op.fields.get(op.key_field or ""):
            return f"upsert needs a value for {op.key_field}"
    return None


def _field_info(raw: dict[str, Any]) -> FieldInfo:
    modification = raw.get("modificationMetadata") or {}
    read_only = bool(modification.get("readOnlyValue")) or raw.get("name") in _READ_ONLY
    options = tuple(str(o["value"]) for o in raw.get("options") or () if not o.get("hidden"))
    return FieldInfo(
        name=str(raw["name"]),
        type=str(raw.get("type", "string")),
        createable=not read_only,
        updateable=not read_only,
        picklist=options,
        restricted_picklist=raw.get("type") == "enumeration",
        external_id=bool(raw.get("hasUniqueValue")) or raw.get("name") == "email",
    )
