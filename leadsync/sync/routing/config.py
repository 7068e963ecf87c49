"""The ``routing`` section of a project file: rules, teams, scoring, gates and SLAs."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadsync.mapping.model import Stage

Op = Literal["eq", "ne", "in", "not_in", "gte", "lte", "exists", "missing", "contains"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A test on one canonical field (dotted for nested: ``first_touch.source``)."""

    field: str
    op: Op = "eq"
    value: Any = None


class Band(_Strict):
    """An inclusive numeric range; either end may be open."""

    min: float | None = None
    max: float | None = None


class When(_Strict):
    """All given tests must hold (an empty ``when`` always holds)."""

    countries: list[str] = Field(default_factory=list)  # ISO alpha-2
    regions: list[str] = Field(default_factory=list)  # subdivision codes
    employees: Band | None = None
    revenue: Band | None = None
    industries: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)  # score tiers
    sources: list[str] = Field(default_factory=list)  # first-touch source
    stages: list[Stage] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)


class Assign(_Strict):
    """Exactly one action: a named owner, a team, or the matched account's owner."""

    owner: str | None = None  # an email
    team: str | None = None
    account_owner: bool = False

    @model_validator(mode="after")
    def _one(self) -> Assign:
        chosen = [self.owner is not None, self.team is not None, self.account_owner]
        if sum(chosen) != 1:
            raise ValueError("assign exactly one of: owner, team, account_owner")
        return self


class Rule(_Strict):
    """When the lead matches ``when``, ``assign`` it."""

    name: str
    when: When = Field(default_factory=When)
    assign: Assign


class Absence(_Strict):
    """Dates (inclusive) a rep takes no new leads."""

    start: date
    end: date


class Member(_Strict):
    """A rep in a team."""

    email: str
    weight: int = Field(default=1, ge=1, le=100)
    daily_cap: int | None = Field(default=None, ge=0)
    out_of_office: list[Absence] = Field(default_factory=list)


class Team(_Strict):
    """Reps who share leads by (weighted) round robin."""

    members: list[Member] = Field(min_length=1)


class ScoreRule(_Strict):
    """Points for leads matching ``when`` (engagement signals live in ``custom`` fields).

    With ``per`` (a numeric field such as ``custom.email_clicks``) the rule is worth ``points``
    for each unit of that signal, up to ``max_points``.
    """

    name: str
    when: When = Field(default_factory=When)
    points: int
    per: str | None = None
    max_points: int | None = None


class Scoring(_Strict):
    """Rule-based score and its tiers (highest threshold first wins)."""

    rules: list[ScoreRule] = Field(default_factory=list)
    tiers: dict[str, int] = Field(default_factory=lambda: {"hot": 70, "warm": 40, "cold": 0})
    decay_per_day: float = Field(default=0.0, ge=0)  # points lost per day since latest touch
    mql_when: When | None = None  # leads matching this (and not yet MQL) become MQL


class Gates(_Strict):
    """Fields a lead needs before it may be pushed into a stage."""

    required: dict[Stage, list[str]] = Field(default_factory=dict)


class RoutingConfig(_Strict):
    """How owners are chosen; see ``docs/routing.md``."""

    account_owner_first: bool = True
    rules: list[Rule] = Field(default_factory=list)
    teams: dict[str, Team] = Field(default_factory=dict)
    fallback_owner: str | None = None
    scoring: Scoring = Field(default_factory=Scoring)
    gates: Gates = Field(default_factory=Gates)
    first_response_minutes: dict[str, int] = Field(default_factory=dict)  # by score tier

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingConfig:
        for rule in self.rules:
            if rule.assign.team is not None and rule.assign.team not in self.teams:
                known = ", ".join(sorted(self.teams)) or "none"
                raise ValueError(
                    f"rule {rule.name!r}: unknown team {rule.assign.team!r} (teams: {known})"
                )
        return self

    def emails(self) -> set[str]:
        """Every owner email the configuration names."""
        found = {m.email.lower() for team in self.teams.values() for m in team.members}
        found.update(r.assign.owner.lower() for r in self.rules if r.assign.owner)
        if self.fallback_owner:
            found.add(self.fallback_owner.lower())
        return found
