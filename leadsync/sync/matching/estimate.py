"""Estimating m/u parameters from data: u from random pairs, m (and u) by unsupervised EM.

The EM runs over *patterns* (distinct comparison vectors with their counts), so a million
candidate pairs cost no more than the few thousand patterns they fall into. Missing levels
carry no information and are left out of every product and every normalisation.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from leadsync.sync.matching.compare import COMPARISONS, Levels, compare
from leadsync.sync.matching.keys import MatchKey
from leadsync.sync.matching.settings import LevelParams, MatchSettings

# Keeps every level possible: a level never seen in one class must not become impossible.
_EPSILON = 1e-6
Table = list[list[float]]


@dataclass(frozen=True)
class Estimate:
    """The outcome of :func:`estimate_parameters`.

    Attributes:
        m_u: ``{comparison: {level: LevelParams}}``, ready for ``MatchSettings.m_u``.
        match_fraction: Estimated share of true matches among the pairs given.
        iterations: EM iterations run.
        converged: Whether the parameters stopped moving before the iteration limit.
    """

    m_u: dict[str, dict[str, LevelParams]]
    match_fraction: float
    iterations: int
    converged: bool

    def to_settings(self, base: MatchSettings | None = None) -> MatchSettings:
        """Return ``base`` (or default settings) with these m/u values."""
        return (base or MatchSettings()).model_copy(update={"m_u": self.m_u})


def comparison_patterns(pairs: Iterable[tuple[MatchKey, MatchKey]]) -> Counter[Levels]:
    """Count the comparison vectors of ``pairs`` (e.g. candidate pairs from blocking)."""
    return Counter(compare(a, b)[0] for a, b in pairs)


def estimate_u(
    keys: Sequence[MatchKey], n_pairs: int = 100_000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Estimate ``u`` from random pairs, nearly all of which are non-matches.

    Args:
        keys: Records to sample from (at least two).
        n_pairs: How many random pairs to compare.
        seed: Seed of the sampler, for reproducible estimates.

    Returns:
        ``{comparison: {level: u}}`` for every non-missing level.
    """
    rng = random.Random(seed)
    size = len(keys)
    pairs = ((keys[rng.randrange(size)], keys[rng.randrange(size)]) for _ in range(n_pairs))
    patterns = comparison_patterns((a, b) for a, b in pairs if a is not b)
    # Every random pair counts as a non-match (match weight 0).
    return _named(_m_step(patterns, dict.fromkeys(patterns, 0.0), invert=True))


def estimate_parameters(
    pairs: Iterable[tuple[MatchKey, MatchKey]] | Mapping[Levels, int],
    *,
    settings: MatchSettings | None = None,
    fixed_u: Mapping[str, Mapping[str, float]] | None = None,
    max_iter: int = 200,
    tol: float = 1e-5,
) -> Estimate:
    """Estimate m (and u unless fixed) by expectation–maximisation over candidate pairs.

    Args:
        pairs: Record pairs, or already counted comparison patterns.
        settings: Starting values (defaults when None).
        fixed_u: ``u`` to keep fixed (e.g. from :func:`estimate_u`); EM then learns only m.
        max_iter: Iteration limit.
        tol: Stop when no parameter moves more than this.

    Returns:
        The estimated parameters.
    """
    patterns = pairs if isinstance(pairs, Mapping) else comparison_patterns(pairs)
    base = settings or MatchSettings()
    m = _table(base, "m")
    u = _table(base, "u") if fixed_u is None else _from_named(fixed_u, _table(base, "u"))
    share, iterations, converged = 0.1, 0, False
    while iterations < max_iter and not converged:
        iterations += 1
        weights, share = _e_step(patterns, m, u, share)
        new_m = _m_step(patterns, weights, invert=False)
        new_u = u if fixed_u is not None else _m_step(patterns, weights, invert=True)
        moved = max(_max_diff(m, new_m), _max_diff(u, new_u))
        m, u, converged = new_m, new_u, moved < tol
    m_u = {
        name: {level: LevelParams(m=m[i][j], u=u[i][j]) for j, level in enumerate(levels) if j}
        for i, (name, levels) in enumerate(COMPARISONS)
    }
    return Estimate(m_u, share, iterations, converged)


def _table(settings: MatchSettings, which: str) -> Table:
    return [
        [0.0] + [getattr(settings.level_params(name, lv), which) for lv in levels[1:]]
        for name, levels in COMPARISONS
    ]


def _from_named(named: Mapping[str, Mapping[str, float]], fallback: Table) -> Table:
    table = [row[:] for row in fallback]
    for i, (name, levels) in enumerate(COMPARISONS):
        for j, level in enumerate(levels):
            if j and level in named.get(name, {}):
                table[i][j] = max(_EPSILON, named[name][level])
    return table


def _named(table: Table) -> dict[str, dict[str, float]]:
    return {
        name: {level: table[i][j] for j, level in enumerate(levels) if j}
        for i, (name, levels) in enumerate(COMPARISONS)
    }


def _e_step(
    patterns: Mapping[Levels, int], m: Table, u: Table, share: float
) -> tuple[dict[Levels, float], float]:
    weights: dict[Levels, float] = {}
    matched = total = 0.0
    for pattern, count in patterns.items():
        pm, pu = share, 1.0 - share
        for i, level in enumerate(pattern):
            if level:
                pm *= m[i][level]
                pu *= u[i][level]
        w = pm / (pm + pu) if pm + pu > 0 else 0.0
        weights[pattern] = w
        matched += w * count
        total += count
    share = min(1.0 - _EPSILON, max(_EPSILON, matched / total)) if total else share
    return weights, share


def _m_step(patterns: Mapping[Levels, int], weights: Mapping[Levels, float], invert: bool) -> Table:
    sums = [[_EPSILON] * len(levels) for _, levels in COMPARISONS]
    for pattern, count in patterns.items():
        w = 1.0 - weights[pattern] if invert else weights[pattern]
        for i, level in enumerate(pattern):
            if level:
                sums[i][level] += w * count
    table: Table = []
    for row in sums:
        norm = sum(row[1:])
        table.append([0.0] + [value / norm for value in row[1:]])
    return table


def _max_diff(a: Table, b: Table) -> float:
    return max(abs(x - y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))
