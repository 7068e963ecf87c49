"""Evaluate a rule's ``when`` against a lead, reporting the values it looked at."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from leadsync.mapping.model import Lead
from leadsync.sync.routing.config import Band, Condition, Rule, When


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
    return compiled(when)(lead, tier, seen)


Test = Callable[[Lead, str | None, dict[str, Any]], bool]
_COMPILED: dict[int, tuple[When, Test]] = {}


def compiled(when: When) -> Test:
    """``when`` as a function ``(lead, tier, seen) -> bool`` (built once per ``when``)."""
    # Rules are evaluated for every lead: fold their lists into sets once per rule.
    cached = _COMPILED.get(id(when))
    if cached is not None and cached[0] is when:
        return cached[1]
    test = _compile(when)
    _COMPILED[id(when)] = (when, test)
    return test


def _compile(when: When) -> Test:
    sets: list[tuple[str, Callable[[Lead, str | None], Any], set[str]]] = [
        ("country", lambda lead, _t: lead.country, {c.upper() for c in when.countries}),
        ("region", lambda lead, _t: lead.region, {r.upper() for r in when.regions}),
        ("industry", lambda lead, _t: lead.industry, {i.casefold() for i in when.industries}),
        ("tier", lambda _l, tier: tier, {t.casefold() for t in when.tiers}),
        ("source", lambda lead, _t: lead.first_touch.source if lead.first_touch else None,
         {s.casefold() for s in when.sources}),
        ("stage", lambda lead, _t: lead.stage.value if lead.stage else None,
         {s.value for s in when.stages}),
    ]  # fmt: skip
    active = [(name, get, allowed, _upper if name in ("country", "region") else _casefold)
              for name, get, allowed in sets if allowed]  # fmt: skip
    numeric: list[tuple[str, Callable[[Lead], Any], Band | None]] = [
        ("employees", lambda lead: lead.employee_count, when.employees),
        ("revenue", lambda lead: lead.annual_revenue, when.revenue),
    ]
    bands = [(name, read, band) for name, read, band in numeric if band is not None]
    conditions = list(when.conditions)

    def test(lead: Lead, tier: str | None, seen: dict[str, Any]) -> bool:
        for name, get, allowed, fold in active:
            value = get(lead, tier)
            seen[name] = value
            if value is None or fold(value) not in allowed:
                return False
        for name, read, band in bands:
            value = read(lead)
            seen[name] = value
            if not _in_band(value, band):
                return False
        return all(_condition(c, lead, seen) for c in conditions)

    return test


def _upper(value: Any) -> str:
    return str(value).upper()


def _casefold(value: Any) -> str:
    return str(value).casefold()


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


def country_index(
    rules: list[tuple[Rule, Test]],
) -> tuple[dict[str, list[tuple[Rule, Test]]], list[tuple[Rule, Test]]]:
    """Index compiled rules by country: a lead only needs its country's rules, in order.

    Returns:
        Rules per (upper-case) country, and the rules that name no country.
    """
    anywhere = [item for item in rules if not item[0].when.countries]
    countries = {c.upper() for rule, _ in rules for c in rule.when.countries}
    by_country = {
        country: [item for item in rules
                  if not item[0].when.countries
                  or country in {c.upper() for c in item[0].when.countries}]
        for country in countries
    }  # fmt: skip
    return by_country, anywhere
