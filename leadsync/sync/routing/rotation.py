"""Round-robin slot sequences: equal weights in member order, weighted ones smoothly spread."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from leadsync.sync.routing.config import Member


def slot_sequence(members: Sequence[Member]) -> tuple[str, ...]:
    """One full cycle of owner emails; a member of weight w appears w times, spread out."""
    return _sequence(tuple((m.email.lower(), m.weight) for m in members))


@lru_cache(maxsize=256)
def _sequence(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    # Smooth weighted round robin (as nginx does it): no member gets a run of slots.
    current = {email: 0 for email, _ in weights}
    total = sum(w for _, w in weights)
    out = []
    for _ in range(total):
        for email, weight in weights:
            current[email] += weight
        chosen = max(weights, key=lambda item: current[item[0]])[0]
        current[chosen] -= total
        out.append(chosen)
    return tuple(out)
