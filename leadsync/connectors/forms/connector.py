"""FormsConnector: a Source over webhook payloads handed to it by the webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadsync.connectors.base import Capabilities, FieldInfo, ObjectSchema, Record, Source
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.forms.payloads import payload_to_record
from leadsync.errors import ConfigError, FatalError


class FormsSettings(BaseModel):
    """Settings of a form source.

    Attributes:
        object: Object name records carry (one form source = one object).
        max_buffered: Payloads held before the oldest must have been read and acknowledged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    object: str = "submissions"
    max_buffered: int = Field(default=100_000, ge=1)


class FormsConnector(Source):
    """Source of form submissions pushed in by webhooks (see :func:`payload_to_record`).

    The webhook server calls :meth:`ingest`; the engine calls :meth:`read` like on any other
    source. Ingested records are kept in memory until :meth:`acknowledge` drops them (durable
    buffering is the webhook server's job).
    """

    name = "forms"
    settings_model = FormsSettings
    capabilities = Capabilities(
        objects=("submissions",), incremental_cursor="submittedAt", extra={"push": True}
    )

    def __init__(self, settings: FormsSettings, *, deps: ConnectorDeps | None = None) -> None:
        self.settings = settings
        self.deps = deps or ConnectorDeps()
        self._lock = threading.Lock()
        self._records: dict[str, Record] = {}

    def __repr__(self) -> str:
        return f"FormsConnector(settings={self.settings!r})"

    def check(self) -> None:
        """Nothing to connect to; always fine."""

    def ingest(self, payload: Mapping[str, Any], *, received_at: datetime | None = None) -> Record:
        """Turn a webhook payload into a record and keep it for :meth:`read`.

        A redelivered payload (same submission id) replaces the earlier copy.

        Raises:
            RejectedRecordError: The payload is not a usable form submission.
            FatalError: The buffer is full (nobody is reading).
        """
        record = payload_to_record(
            payload, received_at=received_at or self.deps.clock(), object=self.settings.object
        )
        with self._lock:
            if record.id not in self._records and len(self._records) >= self.settings.max_buffered:
                raise FatalError("form buffer is full; is the sync running?", code="BUFFER_FULL")
            self._records[record.id] = record
        return record

    def acknowledge(self, ids: list[str]) -> None:
        """Forget records the engine has committed."""
        with self._lock:
            for record_id in ids:
                self._records.pop(record_id, None)

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        """Fields seen so far in ingested payloads (all typed ``string``)."""
        self._check_object(object)
        with self._lock:
            names = sorted({name for r in self._records.values() for name in r.fields})
        return ObjectSchema(object, tuple(FieldInfo(n, "string") for n in names))

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Yield ingested records with ``updated_at >= since``, oldest first (then by id)."""
        self._check_object(object)
        with self._lock:
            records = list(self._records.values())
        records.sort(key=lambda r: (r.updated_at, r.id))
        yield from (r for r in records if since is None or r.updated_at >= since)

    def _check_object(self, object: str) -> None:  # noqa: A002
        if object != self.settings.object:
            raise ConfigError(f"form source holds {self.settings.object!r}, not {object!r}")
