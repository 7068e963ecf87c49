"""Evaluate a rule's ``when`` against a lead, reporting the values it looked at."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from leadsync.mapping.model import Lead
from leadsync.sync.routing.config import Band, Condition, When


def field_value(lead: Lead, path: str) -> Any:
    """Read a dotted canonical field (``custom.x``, ``first_touch.source``...)."""
    value: Any = lead
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value.value if hasattr(value, "value") and not isinstance(value, Decimal) else value


def matches(when: When, lead: Lead, tier: str | None, seen: dict[str, Any]) -> bool:
    """True when every test in ``when`` holds; ``seen`` collects the values tested."""
    checks = (
        ("country", lead.country, when.countries, _in_upper),
        ("region", lead.region, when.regions, _in_upper),
        ("industry", lead.industry, when.industries, _in_folded),
        ("tier", tier, when.tiers, _in_folded),
        ("source", field_value(lead, "first_touch.source"), when.sources, _in_folded),
        ("stage", lead.stage.value if lead.stage else None, [s.value for s in when.stages],
         _in_folded),
    )  # fmt: skip
    for name, value, allowed, test in checks:
        if allowed:
            seen[name] = value
            if not test(value, allowed):
                return False
    for name, value, band in (
        ("employees", lead.employee_count, when.employees),
        ("revenue", lead.annual_revenue, when.revenue),
    ):
        if band is not None:
            seen[name] = value
            if not _in_band(value, band):
                return False
    return all(_condition(c, lead, seen) for c in when.conditions)


def _in_upper(value: Any, allowed: list[str]) -> bool:
    return value is not None and str(value).upper() in {a.upper() for a in allowed}


def _in_folded(value: Any, allowed: list[str]) -> bool:
    return value is not None and str(value).casefold() in {a.casefold() for a in allowed}


def _in_band(value: Any, band: Band) -> bool:
    if value is None:
        return False
    number = float(value)
    return (band.min is None or number >= band.min) and (band.max is None or number <= band.max)


def _condition(condition: Condition, lead: Lead, seen: dict[str, Any]) -> bool:
    value = field_value(lead, condition.field)
    seen[condition.field] = value
    op, expected = condition.op, condition.value
    if op == "exists":
        return value not in (None, "")
    if op == "missing":
        return value in (None, "")
    if value is None:
        return op == "ne"
    if op in ("in", "not_in"):
        inside = str(value).casefold() in {str(v).casefold() for v in expected or []}
        return inside if op == "in" else not inside
    if op in ("gte", "lte"):
        return float(value) >= float(expected) if op == "gte" else float(value) <= float(expected)
    if op == "contains":
        return str(expected).casefold() in str(value).casefold()
    same = str(value).casefold() == str(expected).casefold()
    return same if op == "eq" else not same
