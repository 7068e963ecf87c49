"""SalesforceConnector: incremental reads on SystemModstamp, batched writes, owners."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
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
from leadsync.connectors.salesforce import bulk, collections, soql
from leadsync.connectors.salesforce.client import SalesforceClient
from leadsync.connectors.salesforce.settings import SalesforceSettings
from leadsync.errors import FatalError

_SKIP_TYPES = frozenset({"address", "location", "base64"})  # compound or blob: not selectable


class SalesforceConnector(Source, Destination):
    """Reads and writes Salesforce sObjects over the REST, Collections and Bulk 2.0 APIs."""

    name = "salesforce"
    settings_model = SalesforceSettings
    capabilities = Capabilities(
        objects=("Lead", "Contact", "Account"),
        max_batch_size=collections.LIMIT,
        upsert_keys=("Leadsync_Id__c",),
        incremental_cursor=soql.CURSOR,
        deletes=True,
        bulk=True,
        owner_field="OwnerId",
        # How this CRM's companies look, so the engine can attach leads to accounts.
        extra={
            "contacts": {"object": "Contact"},
            "accounts": {
                "object": "Account",
                "name": "Name",
                "website": "Website",
                "owner": "OwnerId",
            },
        },
    )

    def __init__(self, settings: SalesforceSettings, *, deps: ConnectorDeps | None = None) -> None:
        self.settings = settings
        self.deps = deps or ConnectorDeps()
        self.client = SalesforceClient(settings, self.deps)
        self._schemas: dict[str, ObjectSchema] = {}

    def __repr__(self) -> str:
        return f"SalesforceConnector(settings={self.settings!r})"

    def check(self) -> None:
        """Log in and run one tiny query."""
        self.client.json("GET", "query", params={"q": "SELECT Id FROM User LIMIT 1"})

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        """Fields of ``object`` from ``sobjects/<object>/describe`` (cached per connector)."""
        if object not in self._schemas:
            body = self.client.json("GET", f"sobjects/{soql.identifier(object)}/describe")
            fields = tuple(_field_info(f) for f in body.get("fields", []))
            self._schemas[object] = ObjectSchema(object, fields)
        return self._schemas[object]

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Yield records with SystemModstamp >= ``since`` via queryAll (deletes included).

        Ordered by SystemModstamp then Id; merged-away Leads/Contacts carry ``merged_into``.
        """
        names = [f.name for f in self.describe(object).fields if f.type not in _SKIP_TYPES]
        query = soql.incremental(object, names, since)
        for row in self._query(query, include_deleted=True):
            deleted = bool(row.get("IsDeleted"))
            yield Record(
                object=object,
                id=str(row["Id"]),
                fields=row,
                updated_at=parse_datetime(str(row[soql.CURSOR])),
                deleted=deleted,
                merged_into=(row.get("MasterRecordId") or None) if deleted else None,
            )

    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        """Apply ``ops``: Bulk 2.0 for groups of ``bulk_threshold`` or more, else Collections."""
        soql.identifier(object)
        results: dict[int, WriteResult] = {}
        groups: dict[tuple[str, str | None], collections.Indexed] = {}
        for index, op in enumerate(ops):
            problem = _invalid(op)
            if problem:
                results[index] = WriteResult(op.ref, "failed", op.id, "INVALID_OP", problem)
            else:
                groups.setdefault((op.kind, op.key_field), []).append((index, op))
        headers = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}
        headers = headers if self.settings.allow_duplicates else {}
        for group in groups.values():
            if len(group) >= self.settings.bulk_threshold:
                results.update(bulk.write(self.client, object, group))
            else:
                results.update(collections.write(self.client, object, group, headers))
        return [results[i] for i in range(len(ops))]

    def owners(self) -> list[Owner]:
        """Active users (``User.IsActive``)."""
        return [
            Owner(str(r["Id"]), str(r.get("Email") or ""), str(r.get("Name") or ""), True)
            for r in self._query(soql.active_users(), include_deleted=False)
        ]

    def close(self) -> None:
        """Close the HTTP session if this connector made it."""
        if self.deps.requests_session is None:
            self.client.session.close()

    def _query(self, query: str, *, include_deleted: bool) -> Iterator[dict[str, Any]]:
        page = self.client.json(
            "GET", "queryAll" if include_deleted else "query", params={"q": query}
        )
        while True:
            for row in page.get("records", []):
                row.pop("attributes", None)
                yield row
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.client.json("GET", str(next_url))


def _invalid(op: WriteOp) -> str | None:
    if op.kind in ("update", "delete") and not op.id:
        return f"{op.kind} needs an id"
    if op.kind == "upsert" and (not op.key_field or op.fields.get(op.key_field) in (None, "")):
        return "upsert needs key_field and its value in fields"
    return None


def _field_info(raw: dict[str, Any]) -> FieldInfo:
    picklist = tuple(
        str(p["value"]) for p in raw.get("picklistValues") or () if p.get("active", True)
    )
    nillable = bool(raw.get("nillable", True))
    createable = bool(raw.get("createable", True))
    return FieldInfo(
        name=str(raw["name"]),
        type=str(raw.get("type", "string")),
        length=raw.get("length") or None,
        nillable=nillable,
        createable=createable,
        updateable=bool(raw.get("updateable", True)),
        required=createable and not nillable and not raw.get("defaultedOnCreate", False),
        picklist=picklist,
        restricted_picklist=bool(raw.get("restrictedPicklist", False)),
        external_id=bool(raw.get("externalId", False)),
    )


def parse_datetime(text: str) -> datetime:
    """Parse Salesforce's ``2024-01-01T00:00:00.000+0000`` (or ISO ``Z``) to aware UTC.

    Raises:
        FatalError: The text is not a date-time.
    """
    cleaned = text.replace("Z", "+00:00")
    if len(cleaned) > 5 and cleaned[-5] in "+-" and cleaned[-3] != ":":
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise FatalError(f"unreadable Salesforce date-time {text!r}") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
