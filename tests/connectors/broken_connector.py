"""A deliberately broken connector: each flaw is one the conformance kit must catch.

Flaws: ``since`` is exclusive, records come newest first, deletes are dropped, transient
errors are not retried, a bad record raises for the whole batch, upsert always creates, the
repr shows the token, and a 401 surfaces as a FatalError.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from leadsync.connectors.base import (
    Capabilities,
    Destination,
    ObjectSchema,
    Owner,
    Record,
    Source,
    WriteOp,
    WriteResult,
)
from leadsync.errors import FatalError, RejectedRecordError, RetryableError


class BrokenSettings(BaseModel):
    token: str  # flaw: a plain str, so the repr shows it


class BrokenStore:
    def __init__(self, token: str) -> None:
        self.token = token
        self.rows: dict[str, dict[str, Any]] = {}
        self.stamps: dict[str, datetime] = {}
        self.deleted: set[str] = set()
        self.faults: list[str] = []
        self.calls = 0

    def call(self, token: str) -> None:
        self.calls += 1
        if self.faults:
            self.faults.pop(0)
            raise RetryableError("HTTP 503")
        if token != self.token:
            raise FatalError("HTTP 401")


class BrokenConnector(Source, Destination):
    name = "broken"
    settings_model = BrokenSettings
    capabilities = Capabilities(objects=("contacts",), max_batch_size=10, deletes=True)

    def __init__(self, settings: BrokenSettings, store: BrokenStore) -> None:
        self.settings = settings
        self.store = store

    def __repr__(self) -> str:
        return f"BrokenConnector(token={self.settings.token})"

    def check(self) -> None:
        self.store.call(self.settings.token)

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        return ObjectSchema(object, ())

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        self.store.call(self.settings.token)
        for rid, stamp in sorted(self.store.stamps.items(), key=lambda kv: kv[1], reverse=True):
            if rid in self.store.deleted or (since is not None and stamp <= since):
                continue
            yield Record(object, rid, self.store.rows[rid], stamp)

    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        results = []
        for op in ops:  # one call per record: ignores batching
            self.store.call(self.settings.token)
            if "@" not in str(op.fields.get("email", "")):
                raise RejectedRecordError("bad email")
            rid = op.id if op.kind == "update" and op.id else f"b{len(self.store.rows) + 1}"
            self.store.rows[rid] = dict(op.fields)
            results.append(
                WriteResult(op.ref, "created" if op.kind != "update" else "updated", rid)
            )
        return results

    def owners(self) -> list[Owner]:
        return []
