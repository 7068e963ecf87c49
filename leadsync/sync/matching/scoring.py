"""Fellegi–Sunter scoring: comparison levels to a log2 match weight and a probability.

Each level contributes ``log2(m / u)``; missing fields contribute nothing. The prior is the
probability that an incoming record matches a given candidate before looking at any field.
Exact name agreement is weighed by the name's frequency in the index (term-frequency
adjustment, as Splink does): ``u`` becomes the chance two random people share that name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from leadsync.sync.matching.compare import COMPARISONS, EMAIL, FIRST, LAST, PHONE, Levels
from leadsync.sync.matching.settings import MatchSettings

# Pseudo-count pulling a name's observed frequency toward the default u: a small index says
# little about how common a name is.
_TF_SMOOTHING = 1000.0
# Never let a rare name count for more than this multiple of the default weight's u.
_TF_FLOOR_RATIO = 20.0
_MAX_BITS = 60.0


class ScoreModel:
    """Weights of every comparison level, compiled once from :class:`MatchSettings`."""

    __slots__ = ("_exact", "prior_bits", "weights")

    def __init__(self, settings: MatchSettings) -> None:
        self.weights: tuple[tuple[float, ...], ...] = tuple(
            (0.0,) + tuple(self._weight(settings, name, level) for level in levels[1:])
            for name, levels in COMPARISONS
        )
        self.prior_bits = math.log2(settings.prior / (1.0 - settings.prior))
        exact = [settings.level_params(name, levels[1]) for name, levels in COMPARISONS]
        self._exact = tuple((p.m, p.u) for p in exact)

    @staticmethod
    def _weight(settings: MatchSettings, comparison: str, level: str) -> float:
        params = settings.level_params(comparison, level)
        return math.log2(params.m / params.u)

    def name_weight(self, comparison: int, count: int, total: int) -> float:
        """Return the term-frequency adjusted weight of an exact name agreement.

        Args:
            comparison: :data:`FIRST` or :data:`LAST`.
            count: How many indexed records carry the name.
            total: How many records the index holds.

        Returns:
            ``log2(m / u_tf)`` with ``u_tf`` the smoothed share of records with the name.
        """
        m, default_u = self._exact[comparison]
        u_tf = (count + default_u * _TF_SMOOTHING) / (total + _TF_SMOOTHING)
        u_tf = max(u_tf, default_u / _TF_FLOOR_RATIO)
        return math.log2(m / u_tf)

    def shared_weight(self, comparison: int, count: int, total: int) -> float:
        """Return the weight of an exact email/phone that ``count`` indexed records share.

        A switchboard number or a team inbox held by many people identifies none of them:
        ``u`` becomes the share of records holding the value.
        """
        m, default_u = self._exact[comparison]
        if count <= 1 or total <= 0:
            return math.log2(m / default_u)
        return math.log2(m / max(default_u, min(1.0, count / total)))

    def bits(self, levels: Levels, overrides: Sequence[tuple[int, float]] = ()) -> float:
        """Return the match weight (log2 odds) of a comparison vector.

        Args:
            levels: One level per comparison.
            overrides: ``(comparison, weight)`` pairs replacing the weight of that
                comparison's current level (term-frequency adjustments).

        Returns:
            Prior log-odds plus the sum of level weights.
        """
        weights = self.weights
        total = self.prior_bits
        for i, level in enumerate(levels):
            total += weights[i][level]
        for i, weight in overrides:
            total += weight - weights[i][levels[i]]
        return total


def probability(bits: float) -> float:
    """Turn a log2-odds match weight into a probability."""
    bits = max(-_MAX_BITS, min(_MAX_BITS, bits))
    return 1.0 / (1.0 + math.pow(2.0, -bits))


def has_person_evidence(levels: Levels) -> bool:
    """Tell whether a pair agrees on something that identifies a person, not just a company.

    A shared company, domain or city never makes two people one: an exact email or phone, or
    agreeing first and last names, is required for an automatic match.
    """
    if levels[EMAIL] == 1 or levels[PHONE] == 1:
        return True
    return levels[FIRST] in (1, 2, 3) and levels[LAST] in (1, 2)
