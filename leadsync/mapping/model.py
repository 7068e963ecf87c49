"""The canonical Lead and Account models every connector maps into and out of."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Stage(enum.StrEnum):
    """Lifecycle stage, ordered from first touch to outcome."""

    NEW = "new"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    DISQUALIFIED = "disqualified"

    @property
    def rank(self) -> int:
        """Position in the funnel; disqualified ranks with new (it is not progress)."""
        return _STAGE_RANK[self]


_STAGE_RANK = {
    Stage.NEW: 0,
    Stage.DISQUALIFIED: 0,
    Stage.MQL: 1,
    Stage.SQL: 2,
    Stage.OPPORTUNITY: 3,
    Stage.CUSTOMER: 4,
}


class Touch(BaseModel):
    """One marketing touch: where the lead came from, at a moment."""

    model_config = ConfigDict(frozen=True)

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    at: datetime | None = None


class Provenance(BaseModel):
    """Where a field's current value came from."""

    model_config = ConfigDict(frozen=True)

    system: str
    observed_at: datetime


class Bant(BaseModel):
    """Qualification fields (budget, authority, need, timeline)."""

    budget: Decimal | None = None
    authority: str | None = None
    need: str | None = None
    timeline: str | None = None


CustomValue = str | int | float | bool | Decimal | datetime | None


class Lead(BaseModel):
    """A person as leadsync knows them, independent of any one CRM.

    ``external_ids`` maps a system name (e.g. ``"salesforce"``) to that system's id.
    ``provenance`` maps a canonical field name to the system and time its value was seen.
    """

    model_config = ConfigDict(validate_assignment=False, extra="forbid")

    email: str | None = None
    phone: str | None = None  # E.164
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    website_domain: str | None = None
    title: str | None = None

    street: str | None = None
    city: str | None = None
    region: str | None = None  # ISO 3166-2 subdivision code without country, e.g. "CA"
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2

    industry: str | None = None
    employee_count: Annotated[int | None, Field(ge=0)] = None
    annual_revenue: Decimal | None = None

    stage: Stage | None = None
    stage_changed_at: dict[Stage, datetime] = Field(default_factory=dict)

    first_touch: Touch | None = None
    latest_touch: Touch | None = None

    owner_email: str | None = None
    score: int | None = None
    qualification: Bant = Field(default_factory=Bant)
    custom: dict[str, CustomValue] = Field(default_factory=dict)

    external_ids: dict[str, str] = Field(default_factory=dict)
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    updated_at: datetime | None = None
    deleted: bool = False


class Account(BaseModel):
    """A company (Salesforce Account, HubSpot company)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employee_count: int | None = None
    annual_revenue: Decimal | None = None
    country: str | None = None
    owner_email: str | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime | None = None
    deleted: bool = False
