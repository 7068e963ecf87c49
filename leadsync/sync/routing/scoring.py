"""Rule-based lead score, optional decay with age, and the tier it falls in."""

from __future__ import annotations

from datetime import datetime

from leadsync.mapping.model import Lead
from leadsync.sync.routing.conditions import field_value, matches
from leadsync.sync.routing.config import ScoreRule, Scoring


def score(lead: Lead, scoring: Scoring, *, now: datetime | None = None) -> tuple[int, str | None]:
    """Return ``(points, tier)`` for ``lead``.

    Points come from every matching rule; with ``decay_per_day`` they shrink by that much per
    day since the latest touch. The tier is the one with the highest threshold reached.
    """
    points = sum(
        _points(rule, lead) for rule in scoring.rules if matches(rule.when, lead, None, {})
    )
    touched = lead.latest_touch.at if lead.latest_touch else None
    if scoring.decay_per_day and touched is not None and now is not None:
        points -= int(scoring.decay_per_day * max(0.0, (now - touched).total_seconds() / 86400))
    return points, tier_of(points, scoring)


def _points(rule: ScoreRule, lead: Lead) -> int:
    if rule.per is None:
        return rule.points
    units = field_value(lead, rule.per)
    try:
        earned = int(rule.points * float(units or 0))
    except (TypeError, ValueError):  # a signal that is not a number earns nothing
        return 0
    return earned if rule.max_points is None else min(earned, rule.max_points)


def tier_of(points: int, scoring: Scoring) -> str | None:
    """The tier whose threshold is the highest one ``points`` reaches."""
    reached = [
        (threshold, name) for name, threshold in scoring.tiers.items() if points >= threshold
    ]
    return max(reached)[1] if reached else None


def is_mql(lead: Lead, scoring: Scoring, tier: str | None) -> bool:
    """True when the configured MQL definition holds for ``lead``."""
    return scoring.mql_when is not None and matches(scoring.mql_when, lead, tier, {})
