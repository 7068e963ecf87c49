"""EM estimation recovers known m/u, and u from random pairs is small for agreement levels."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from leadsync.mapping.model import Lead
from leadsync.sync.matching.compare import COMPARISONS, Levels
from leadsync.sync.matching.estimate import estimate_parameters, estimate_u
from leadsync.sync.matching.keys import build_key

# True parameters of a synthetic population: per comparison, (m, u) over non-missing levels.
TRUE_M = [
    [0.7, 0.1, 0.0, 0.2],
    [0.6, 0.1, 0.3],
    [0.75, 0.1, 0.05, 0.05, 0.05],
    [0.8, 0.1, 0.05, 0.05],
    [0.5, 0.2, 0.1, 0.1, 0.05, 0.05],
    [0.5, 0.2, 0.25, 0.05],
]
TRUE_U = [
    [0.001, 0.004, 0.0, 0.995],
    [0.001, 0.004, 0.995],
    [0.02, 0.01, 0.02, 0.02, 0.93],
    [0.01, 0.01, 0.03, 0.95],
    [0.01, 0.01, 0.02, 0.02, 0.04, 0.9],
    [0.01, 0.04, 0.5, 0.45],
]


def _draw(rng: random.Random, probs: list[float]) -> int:
    return rng.choices(range(1, len(probs) + 1), weights=probs)[0]


def _patterns(n: int, share: float, seed: int) -> Counter[Levels]:
    rng = random.Random(seed)
    out: Counter[Levels] = Counter()
    for _ in range(n):
        table = TRUE_M if rng.random() < share else TRUE_U
        levels = tuple(
            0 if rng.random() < 0.1 else _draw(rng, table[i]) for i in range(len(COMPARISONS))
        )
        out[levels] += 1  # type: ignore[index]
    return out


def test_em_recovers_known_parameters() -> None:
    estimate = estimate_parameters(_patterns(60_000, 0.2, seed=3))
    assert estimate.converged
    assert estimate.match_fraction == pytest.approx(0.2, abs=0.02)
    for i, (name, levels) in enumerate(COMPARISONS):
        for j, level in enumerate(levels[1:]):
            params = estimate.m_u[name][level]
            assert params.m == pytest.approx(TRUE_M[i][j], abs=0.03), (name, level)
            assert params.u == pytest.approx(TRUE_U[i][j], abs=0.03), (name, level)


def test_em_with_fixed_u_learns_only_m() -> None:
    fixed = {
        name: {level: TRUE_U[i][j] for j, level in enumerate(levels[1:])}
        for i, (name, levels) in enumerate(COMPARISONS)
    }
    estimate = estimate_parameters(_patterns(30_000, 0.3, seed=5), fixed_u=fixed)
    assert estimate.m_u["email"]["exact"].m == pytest.approx(0.7, abs=0.03)
    assert estimate.m_u["email"]["exact"].u == pytest.approx(0.001, rel=1e-3)
    settings = estimate.to_settings()
    assert settings.level_params("phone", "exact").m == pytest.approx(0.6, abs=0.03)


def test_u_from_random_pairs_is_small_for_exact_levels() -> None:
    rng = random.Random(11)
    firsts, lasts = ["ann", "bo", "cy", "dee", "eve", "flo"], ["lee", "chan", "diaz", "ng"]
    keys = [
        build_key(
            Lead(
                first_name=rng.choice(firsts),
                last_name=rng.choice(lasts) + str(i % 7),
                email=f"p{i}@example.com",
                phone=f"+1415555{i:04d}",
            )
        )
        for i in range(400)
    ]
    u = estimate_u(keys, n_pairs=20_000, seed=1)
    assert u["email"]["exact"] < 0.001
    assert u["phone"]["exact"] < 0.001
    assert u["first_name"]["exact"] == pytest.approx(1 / 6, abs=0.03)
    assert sum(u["last_name"].values()) == pytest.approx(1.0)
