"""The connector contract: small capability bases and the frozen values they exchange.

A CRM connector inherits both :class:`Source` and :class:`Destination`; a form or CSV source
only :class:`Source`. Connectors know nothing of checkpoints, job retries or master-of-record
decisions: the sync engine owns those. Partial failure is data (``write`` returns one
:class:`WriteResult` per :class:`WriteOp`, in order); whole-call failure is an exception from
:mod:`leadsync.errors`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

WriteKind = Literal["create", "update", "upsert", "delete"]
WriteStatus = Literal["created", "updated", "deleted", "failed"]


@dataclass(frozen=True)
class Record:
    """One record as the source system holds it (vendor field names).

    Attributes:
        object: The source object name, e.g. ``"Lead"`` or ``"contacts"``.
        id: The source system's id of the record.
        fields: Vendor field name to value.
        updated_at: The value of the incremental cursor field (UTC).
        deleted: True when the source reports the record deleted/archived.
        merged_into: For a record merged away, the id of the surviving record.
    """

    object: str
    id: str
    fields: Mapping[str, Any]
    updated_at: datetime
    deleted: bool = False
    merged_into: str | None = None


@dataclass(frozen=True)
class WriteOp:
    """One requested change in a destination.

    Attributes:
        kind: create, update (needs ``id``), upsert (needs ``key_field``) or delete.
        fields: Vendor field name to value to write.
        ref: The caller's correlation id, echoed on the result.
        id: Target record id for update and delete.
        key_field: External-id field for upsert (its value must be in ``fields``).
    """

    kind: WriteKind
    fields: Mapping[str, Any]
    ref: str
    id: str | None = None
    key_field: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one :class:`WriteOp`.

    Attributes:
        ref: The op's ``ref``.
        status: created, updated, deleted or failed.
        id: The record's id in the destination (when known).
        error_code: The vendor's error code for a failure.
        error_message: The vendor's message for a failure.
        retryable: True when the same op may succeed later (e.g. row lock).
        fields: Vendor fields named by the failure.
    """

    ref: str
    status: WriteStatus
    id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    fields: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True unless the op failed."""
        return self.status != "failed"


@dataclass(frozen=True)
class Owner:
    """A user who can own records in a destination."""

    id: str
    email: str
    name: str = ""
    active: bool = True


@dataclass(frozen=True)
class FieldInfo:
    """One field of a destination object, as ``describe`` reports it."""

    name: str
    type: str
    length: int | None = None
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    external_id: bool = False


@dataclass(frozen=True)
class ObjectSchema:
    """The fields of one object."""

    object: str
    fields: tuple[FieldInfo, ...]

    def get(self, name: str) -> FieldInfo | None:
        """Return the field called ``name`` (case-insensitive), if it exists."""
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do; the engine plans around these."""

    objects: tuple[str, ...]
    max_batch_size: int = 1
    upsert_keys: tuple[str, ...] = ()
    incremental_cursor: str | None = None
    deletes: bool = False
    bulk: bool = False
    owner_field: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


class Connector(ABC):
    """What every connector shares: a name, a typed settings model and a health check."""

    name: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]
    capabilities: ClassVar[Capabilities]

    @abstractmethod
    def check(self) -> None:
        """Verify settings and connectivity.

        Raises:
            ConfigError: credentials or settings are wrong.
            RetryableError: the system is unreachable right now.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold nothing
        """Release sessions and files."""


class Source(Connector):
    """Something leadsync reads records from."""

    @abstractmethod
    def describe(self, object: str) -> ObjectSchema:  # noqa: A002 - vendor vocabulary
        """Return the fields of ``object``."""

    @abstractmethod
    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Yield records changed at or after ``since`` (inclusive), oldest first.

        Deleted and merged-away records are yielded with ``deleted=True``.
        """


class Destination(Connector):
    """Something leadsync writes records to."""

    @abstractmethod
    def write(self, object: str, ops: Sequence[WriteOp]) -> list[WriteResult]:  # noqa: A002
        """Apply ``ops`` in as few API calls as the vendor allows.

        Returns:
            One result per op, in the same order.

        Raises:
            SyncError: only when the whole call fails.
        """

    @abstractmethod
    def owners(self) -> list[Owner]:
        """Return the users who can own records."""
