"""Pydantic models of the project file ``leadsync.yaml``."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Strict):
    """Where the durable state lives."""

    url: str = "sqlite:///leadsync.db"


class ConnectorConfig(_Strict):
    """One configured connector instance.

    ``settings`` is validated against the connector's own settings model; secret fields must
    hold references (``${VAR}``, ``env:NAME``, ``file:/path``).
    """

    type: str
    settings: dict[str, Any] = Field(default_factory=dict)
    ca_bundle: str | None = Field(
        default=None,
        description="PEM file of extra CAs to trust for this connector's HTTPS (e.g. a sandbox).",
    )


class MappingConfig(_Strict):
    """A mapping file for one connector object (the connector's default when omitted)."""

    connector: str
    object: str
    file: str


class SourceRef(_Strict):
    """One object read by a job."""

    connector: str
    object: str
    mapping: str | None = None


class JobConfig(_Strict):
    """A sync job: read sources, match, merge, route and push to the target."""

    name: str
    sources: list[SourceRef] = Field(min_length=1)
    target: str
    object: str
    mode: Literal["upsert", "create_only", "update_only"] = "upsert"
    schedule: str | None = None
    batch_size: int = Field(default=200, ge=1, le=10_000)
    dry_run: bool = False
    max_attempts: int = Field(default=5, ge=1)
    read_ahead: Literal["thread", "process"] = Field(
        default="thread",
        description="Where sources are read ahead of the engine: in a thread, or in a process "
        "of their own that also maps and keys each record (a second core: worth it for large "
        "syncs; the connector is built again there from this file).",
    )
    contacts: Literal["skip", "update", "create_linked"] = Field(
        default="skip",
        description="A lead matching an existing contact: skip it, update the contact with the "
        "merged values, or create the lead anyway (linked by the golden record).",
    )

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "must be lower-case letters, digits, '-' or '_', starting with a letter"
            )
        return value


class Project(_Strict):
    """The whole project file.

    The ``matching``, ``policy`` and ``routing`` sections are validated by the models of the
    sync layer that consumes them (see :mod:`leadsync.config.loader`).
    """

    version: Literal[1] = 1
    store: StoreConfig = Field(default_factory=StoreConfig)
    connectors: dict[str, ConnectorConfig] = Field(default_factory=dict)
    mappings: list[MappingConfig] = Field(default_factory=list)
    matching: dict[str, Any] = Field(default_factory=dict)
    policy: dict[str, Any] = Field(default_factory=dict)
    routing: dict[str, Any] = Field(default_factory=dict)
    server: dict[str, Any] = Field(default_factory=dict)
    jobs: list[JobConfig] = Field(default_factory=list)

    def job(self, name: str) -> JobConfig:
        """Return the job called ``name``.

        Raises:
            KeyError: no such job.
        """
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)
