"""Survivorship rule types: which system's value of a field wins, and the evaluation of one rule.

A rule is written in configuration either as a model (``{"kind": "priority", "systems":
["salesforce", "hubspot"]}``) or as a phrase:

==============================================  ==========================================
phrase                                          meaning
==============================================  ==========================================
``always salesforce``                           only salesforce writes (its blank clears)
``prefer salesforce unless blank``              salesforce wins unless it sends a blank;
                                                others fill gaps and refresh their own value
``most recent non-empty``                       the newest non-blank observation wins
``priority salesforce, hubspot, forms``         higher-ranked system wins; same rank: newer
``never overwrite once set``                    the first non-blank value stays
``first touch wins``                            the earliest observation wins
``hook mypkg.rules:owner_rule``                 a Python callable decides
==============================================  ==========================================
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from leadsync.errors import ConfigError
from leadsync.mapping.model import Provenance

RuleKind = Literal[
    "always", "prefer", "most_recent", "priority", "never_overwrite", "first_touch", "hook"
]


def is_blank(value: object) -> bool:
    """Tell whether a value counts as empty (None, blank text, empty collection)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict | list | tuple | set):
        return not value
    return False


class FieldRule(BaseModel):
    """One field's survivorship rule.

    Attributes:
        kind: The rule type.
        systems: ``always``/``prefer``: the one system; ``priority``: best first.
        hook: ``hook`` only: dotted path of the callable (``pkg.mod:func`` or ``pkg.mod.func``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RuleKind
    systems: tuple[str, ...] = ()
    hook: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_phrase(cls, data: Any) -> Any:
        return parse_rule(data) if isinstance(data, str) else data

    @model_validator(mode="after")
    def _complete(self) -> FieldRule:
        if self.kind in ("always", "prefer") and len(self.systems) != 1:
            raise ValueError(f"rule {self.kind!r} names exactly one system")
        if self.kind == "priority" and not self.systems:
            raise ValueError("rule 'priority' needs at least one system")
        if self.kind == "hook" and not self.hook:
            raise ValueError("rule 'hook' needs the dotted path of a callable")
        return self

    def describe(self) -> str:
        """Render the rule as its configuration phrase."""
        phrases = {
            "always": f"always {''.join(self.systems)}",
            "prefer": f"prefer {''.join(self.systems)} unless blank",
            "most_recent": "most recent non-empty",
            "priority": "priority " + ", ".join(self.systems),
            "never_overwrite": "never overwrite once set",
            "first_touch": "first touch wins",
            "hook": f"hook {self.hook}",
        }
        return phrases[self.kind]


def parse_rule(phrase: str) -> dict[str, Any]:
    """Turn a rule phrase into :class:`FieldRule` fields.

    Raises:
        ValueError: The phrase is not one of the documented forms.
    """
    words = phrase.replace(">", ",").replace(",", " , ").split()
    low = [w.lower() for w in words]
    if low[:1] == ["always"] and len(words) == 2:
        return {"kind": "always", "systems": (words[1],)}
    if low[:1] == ["prefer"] and len(words) >= 2 and low[2:] in ([], ["unless", "blank"]):
        return {"kind": "prefer", "systems": (words[1],)}
    if low[:2] == ["most", "recent"]:
        return {"kind": "most_recent"}
    if low[:1] == ["never"]:
        return {"kind": "never_overwrite"}
    if low[:2] == ["first", "touch"]:
        return {"kind": "first_touch"}
    if low[:1] == ["hook"] and len(words) == 2:
        return {"kind": "hook", "hook": words[1]}
    systems = [w for w in words[1:] if w != ","] if low[:1] == ["priority"] else []
    if not systems and "," in words:
        systems = [w for w in words if w != ","]
    if systems:
        return {"kind": "priority", "systems": tuple(systems)}
    raise ValueError(f"unknown survivorship rule {phrase!r}")


@dataclass(frozen=True, slots=True)
class FieldContext:
    """What a rule (or hook) sees when deciding one field.

    Attributes:
        field: Canonical field name (``custom.x`` / ``qualification.budget`` for nested).
        current: The value held now.
        incoming: The value just observed.
        provenance: Where ``current`` came from, if known.
        incoming_system: The system ``incoming`` came from.
        observed_at: When ``incoming`` was observed.
        master: The object's default master system, if one is configured.
    """

    field: str
    current: object
    incoming: object
    provenance: Provenance | None
    incoming_system: str
    observed_at: datetime
    master: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A rule's answer: take the incoming value or keep the current one, and why."""

    take: bool
    reason: str


HookResult = bool | tuple[bool, str] | Verdict


@lru_cache(maxsize=256)
def resolve_hook(path: str) -> Callable[[FieldContext], HookResult]:
    """Import the callable at ``path`` (``pkg.mod:func`` or ``pkg.mod.func``).

    Raises:
        ConfigError: The module or attribute does not exist, or is not callable.
    """
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"survivorship hook {path!r} cannot be imported: {exc}") from exc
    if not callable(target):
        raise ConfigError(f"survivorship hook {path!r} is not callable")
    return target  # type: ignore[no-any-return]


def _newer(ctx: FieldContext) -> bool:
    return ctx.provenance is None or ctx.observed_at >= ctx.provenance.observed_at


def _always(rule: FieldRule, ctx: FieldContext) -> Verdict:
    owner = rule.systems[0]
    if ctx.incoming_system == owner:
        return Verdict(True, f"{owner} owns this field")
    return Verdict(False, f"only {owner} writes this field")


def _prefer(rule: FieldRule, ctx: FieldContext) -> Verdict:
    owner = rule.systems[0]
    if is_blank(ctx.incoming):
        return Verdict(False, "a blank never overwrites under 'prefer'")
    if ctx.incoming_system == owner:
        return Verdict(True, f"{owner} is preferred")
    if is_blank(ctx.current):
        return Verdict(True, "fills a blank")
    if ctx.provenance is not None and ctx.provenance.system == owner:
        return Verdict(False, f"the value from {owner} is preferred")
    if _newer(ctx):
        return Verdict(True, f"newer than the current non-{owner} value")
    return Verdict(False, "older than the current value")


def _most_recent(ctx: FieldContext) -> Verdict:
    if is_blank(ctx.incoming):
        return Verdict(False, "a blank never overwrites under 'most recent non-empty'")
    if _newer(ctx):
        return Verdict(True, "most recent non-empty value")
    return Verdict(False, "older than the current value")


def _priority(rule: FieldRule, ctx: FieldContext) -> Verdict:
    if is_blank(ctx.incoming):
        return Verdict(False, "a blank never overwrites under 'priority'")
    if is_blank(ctx.current) or ctx.provenance is None:
        return Verdict(True, "fills a value of unknown or no origin")
    rank = {system: i for i, system in enumerate(rule.systems)}
    mine = rank.get(ctx.incoming_system, len(rank))
    theirs = rank.get(ctx.provenance.system, len(rank))
    if mine != theirs:
        better = mine < theirs
        winner = ctx.incoming_system if better else ctx.provenance.system
        return Verdict(better, f"{winner} ranks higher")
    return _most_recent(ctx)


def _never_overwrite(ctx: FieldContext) -> Verdict:
    if is_blank(ctx.current) and not is_blank(ctx.incoming):
        return Verdict(True, "fills a blank")
    return Verdict(False, "never overwritten once set")


def _first_touch(ctx: FieldContext) -> Verdict:
    if is_blank(ctx.incoming):
        return Verdict(False, "a blank never overwrites")
    if is_blank(ctx.current):
        return Verdict(True, "fills a blank")
    if ctx.provenance is not None and ctx.observed_at < ctx.provenance.observed_at:
        return Verdict(True, "observed earlier than the current value")
    return Verdict(False, "the earliest observation wins")


def _hook(rule: FieldRule, ctx: FieldContext) -> Verdict:
    result = resolve_hook(rule.hook or "")(ctx)
    if isinstance(result, Verdict):
        return result
    if isinstance(result, tuple):
        return Verdict(bool(result[0]), str(result[1]))
    return Verdict(bool(result), f"hook {rule.hook}")


def evaluate(rule: FieldRule, ctx: FieldContext) -> Verdict:
    """Decide one field under ``rule``: take the incoming value, or keep the current one.

    Args:
        rule: The field's rule.
        ctx: Current and incoming values with their origins.

    Returns:
        The verdict and its reason.

    Raises:
        ConfigError: A hook cannot be imported.
    """
    if rule.kind == "always":
        return _always(rule, ctx)
    if rule.kind == "prefer":
        return _prefer(rule, ctx)
    if rule.kind == "most_recent":
        return _most_recent(ctx)
    if rule.kind == "priority":
        return _priority(rule, ctx)
    if rule.kind == "never_overwrite":
        return _never_overwrite(ctx)
    if rule.kind == "first_touch":
        return _first_touch(ctx)
    return _hook(rule, ctx)
