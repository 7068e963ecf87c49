"""MemoryCrmConnector: a complete Source + Destination in under 100 lines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pydantic import BaseModel, SecretStr

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
from leadsync_example_connector.store import MemoryCrm, Row


class MemoryCrmSettings(BaseModel):
    """Settings: the API token (a secret) and the page/batch size."""

    token: SecretStr
    batch_size: int = 50


class MemoryCrmConnector(Source, Destination):
    """Reads and writes ``contacts`` in a :class:`MemoryCrm`."""

    name = "memory"
    settings_model = MemoryCrmSettings
    capabilities = Capabilities(objects=("contacts",), max_batch_size=50, deletes=True)

    def __init__(self, settings: MemoryCrmSettings, *, deps: ConnectorDeps | None = None,
                 crm: MemoryCrm | None = None) -> None:  # fmt: skip
        self.settings, self.deps = settings, deps or ConnectorDeps()
        self.crm = crm or MemoryCrm(token=settings.token.get_secret_value())

    def __repr__(self) -> str:
        return f"MemoryCrmConnector(settings={self.settings!r})"  # SecretStr prints as ******

    def _api(self) -> None:
        self.deps.retry.call(self.crm.call, self.settings.token.get_secret_value())

    def check(self) -> None:
        """Make one authenticated call."""
        self._api()

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        """Every field name seen on a stored contact."""
        names = sorted({k for row in self.crm.rows.values() for k in row.fields})
        return ObjectSchema(object, tuple(FieldInfo(n, "string") for n in names))

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Page through contacts changed at or after ``since``, oldest first."""
        rows = sorted((r.updated_at, i) for i, r in self.crm.rows.items()
                      if since is None or r.updated_at >= since)  # fmt: skip
        for start in range(0, max(len(rows), 1), self.settings.batch_size):
            self._api()  # one call per page, at least one
            for stamp, rid in rows[start : start + self.settings.batch_size]:
                row = self.crm.rows[rid]
                yield Record(object, rid, dict(row.fields), stamp, deleted=row.deleted)

    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        """Apply ops in batches of ``batch_size``; a bad record fails alone."""
        results: list[WriteResult] = []
        for start in range(0, len(ops), self.settings.batch_size):
            self._api()  # one call per batch
            results += [self._apply(op) for op in ops[start : start + self.settings.batch_size]]
        return results

    def _apply(self, op: WriteOp) -> WriteResult:
        if "@" not in str(op.fields.get("email", "")):
            return WriteResult(
                op.ref, "failed", None, "INVALID_EMAIL", "bad email", fields=("email",)
            )
        rid = op.id
        if op.kind == "upsert":
            key = op.fields[op.key_field or "email"]
            rid = next((i for i, r in self.crm.rows.items() if r.fields.get("email") == key), None)
        if rid is None or rid not in self.crm.rows:
            if op.kind == "update":
                return WriteResult(op.ref, "failed", error_code="NOT_FOUND", error_message=op.id)
            rid = self.crm.new_id()
            self.crm.rows[rid] = Row(dict(op.fields), self.deps.clock())
            return WriteResult(op.ref, "created", rid)
        self.crm.rows[rid] = Row({**self.crm.rows[rid].fields, **op.fields}, self.deps.clock())
        return WriteResult(op.ref, "updated", rid)

    def owners(self) -> list[Owner]:
        """The portal's users."""
        self._api()
        return [Owner(uid, email) for email, uid in self.crm.users.items()]
