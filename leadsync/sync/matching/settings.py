"""Matching configuration: thresholds per object kind, m/u overrides, block cap, phone region."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadsync.sync.matching.compare import COMPARISONS


class LevelParams(BaseModel):
    """Fellegi–Sunter parameters of one comparison level.

    Attributes:
        m: Probability of this level among true matches.
        u: Probability of this level among non-matches.
    """

    model_config = ConfigDict(frozen=True)

    m: float = Field(gt=0.0, le=1.0)
    u: float = Field(gt=0.0, le=1.0)


class Thresholds(BaseModel):
    """Decision thresholds on the match probability.

    Attributes:
        match: At or above: the records are the same (auto-match).
        review: At or above (and below ``match``): a person should decide.
    """

    model_config = ConfigDict(frozen=True)

    match: float = Field(default=0.9, gt=0.0, lt=1.0)
    review: float = Field(default=0.5, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review > self.match:
            raise ValueError("review threshold must not exceed the match threshold")
        return self


# Defaults tuned on lead-shaped data; ``u`` of exact names is refined per value from the index
# (term frequency), so "Smith" counts for less than "Quimby".
DEFAULT_MU: dict[str, dict[str, tuple[float, float]]] = {
    "email": {
        "exact": (0.76, 1e-6),
        "close": (0.05, 1e-5),
        "role": (0.01, 0.01),
        "far": (0.18, 0.99998),
    },
    "phone": {"exact": (0.65, 1e-6), "close": (0.05, 1e-5), "far": (0.30, 0.99998)},
    "first_name": {
        "exact": (0.80, 0.01),
        "nickname": (0.08, 0.002),
        "close": (0.07, 0.003),
        "initial": (0.03, 0.01),
        "far": (0.02, 0.975),
    },
    "last_name": {
        "exact": (0.85, 0.002),
        "close": (0.10, 0.002),
        "fuzzy": (0.03, 0.01),
        "far": (0.02, 0.986),
    },
    "company": {
        "domain_and_name": (0.60, 0.0005),
        "domain": (0.15, 0.0005),
        "exact": (0.15, 0.001),
        "close": (0.05, 0.001),
        "fuzzy": (0.02, 0.005),
        "far": (0.03, 0.9925),
    },
    "geo": {
        "postal": (0.60, 0.001),
        "city": (0.10, 0.01),
        "country": (0.25, 0.5),
        "far": (0.05, 0.489),
    },
}


def _default_thresholds() -> dict[str, Thresholds]:
    return {"person": Thresholds(match=0.9, review=0.5)}


class MatchSettings(BaseModel):
    """Everything the matcher can be told.

    Attributes:
        thresholds: Per object kind (``"person"``, ``"contact"``...); unknown kinds use
            ``"person"``.
        m_u: Overrides of :data:`DEFAULT_MU`, ``{comparison: {level: LevelParams}}``.
        prior: Prior probability that an incoming record matches a given indexed candidate
            before any field is compared.
        max_block_size: Blocks holding more records than this are skipped (shared names);
            other blocks still find the match.
        default_region: Region for reading national-format phone numbers.
        term_frequency: Weigh exact name agreement by how rare the name is in the index.
        max_candidates: Upper bound on candidates scored per incoming record.
    """

    model_config = ConfigDict(frozen=True)

    thresholds: dict[str, Thresholds] = Field(default_factory=_default_thresholds)
    m_u: dict[str, dict[str, LevelParams]] = Field(default_factory=dict)
    prior: float = Field(default=1e-4, gt=0.0, lt=1.0)
    max_block_size: int = Field(default=30, ge=1)
    default_region: str = "US"
    term_frequency: bool = True
    max_candidates: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _known_levels(self) -> MatchSettings:
        known = dict(COMPARISONS)
        for comparison, levels in self.m_u.items():
            if comparison not in known:
                raise ValueError(f"unknown comparison {comparison!r}")
            for level in levels:
                if level not in known[comparison][1:]:
                    raise ValueError(f"unknown level {level!r} of {comparison!r}")
        return self

    def thresholds_for(self, object_kind: str) -> Thresholds:
        """Return the thresholds of ``object_kind`` (falling back to ``"person"``)."""
        return self.thresholds.get(object_kind) or self.thresholds.get("person") or Thresholds()

    def level_params(self, comparison: str, level: str) -> LevelParams:
        """Return the m/u of one level: the override if set, else the default."""
        override = self.m_u.get(comparison, {}).get(level)
        if override is not None:
            return override
        m, u = DEFAULT_MU[comparison][level]
        return LevelParams(m=m, u=u)
