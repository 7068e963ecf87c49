"""The values a match returns: a scored Candidate and the MatchResult decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["match", "review", "new"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One existing record that may be the incoming one.

    Attributes:
        key: The caller's opaque key of the existing record.
        score: Fellegi–Sunter match weight (log2 odds, prior included).
        probability: The match probability the score stands for.
        reasons: Comparison name to level name, e.g. ``{"email": "exact"}``.
    """

    key: str
    score: float
    probability: float
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What to do with an incoming record.

    Attributes:
        decision: ``match`` (use ``best``), ``review`` (ask a person) or ``new`` (create).
        best: The highest-scoring candidate, if any was found.
        candidates: Scored candidates, best first (those worth showing a reviewer).
    """

    decision: Decision
    best: Candidate | None
    candidates: list[Candidate] = field(default_factory=list)
