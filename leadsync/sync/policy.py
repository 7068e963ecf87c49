"""Master-of-record survivorship: merging an incoming Lead into the current one, field by field.

Each plain field follows its :class:`~leadsync.sync.policy_rules.FieldRule` (default: prefer the
object's master system unless it sends a blank). Some fields follow fixed rules, chosen so that
out-of-order or replayed updates can never move a record backwards:

* every field: an observation older than the value already seen *from the same system* is
  stale and ignored (``Lead.provenance`` holds each field's system and time);
* ``first_touch``: set once; replaced only by a touch whose ``at`` is strictly earlier (a late
  delivery of the true first touch);
* ``latest_touch``: replaced only by a newer touch (``at``, else the observation time);
* ``stage``: moves only forward in the funnel; only the master system may disqualify, or
  re-open a disqualified lead; ``stage_changed_at`` keeps the earliest time of each stage;
* ``external_ids``: union; a system's own id comes from that system;
* ``deleted``: only the master system deletes or restores;
* ``custom.*`` and ``qualification.*`` are decided key by key (rule lookup: the dotted name,
  then ``custom``/``qualification``, then the default).

A field the incoming lead never set (absent from pydantic's ``model_fields_set``) is not
decided at all, so ``always S`` clears a value only when S explicitly sends a blank. A blank
incoming value that is kept is not reported as a decision.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadsync.errors import ConfigError
from leadsync.mapping.model import Bant, Lead, Provenance, Stage, Touch
from leadsync.sync.policy_rules import FieldContext, FieldRule, Verdict, evaluate, is_blank

# Fields merged by fixed rules or key by key, not by a field rule.
_SPECIAL = frozenset(
    [
        "first_touch",
        "latest_touch",
        "stage",
        "stage_changed_at",
        "external_ids",
        "provenance",
        "updated_at",
        "deleted",
        "custom",
        "qualification",
    ]
)
PLAIN_FIELDS: tuple[str, ...] = tuple(f for f in Lead.model_fields if f not in _SPECIAL)


class ObjectPolicy(BaseModel):
    """Survivorship policy of one object type.

    Attributes:
        master: The system of record by default (e.g. ``"salesforce"``); None means no
            master: then any system may disqualify or delete.
        default_rule: Rule of fields not listed in ``fields``; None means
            ``prefer <master> unless blank`` (``most recent non-empty`` without a master).
        fields: Per-field rules, by canonical name (``custom.x`` and ``qualification.x`` too).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    master: str | None = None
    default_rule: FieldRule | None = None
    fields: dict[str, FieldRule] = Field(default_factory=dict)

    def rule_for(self, name: str) -> FieldRule:
        """Return the rule of field ``name`` (dotted names fall back to their head)."""
        return _rules_of(self).rule_for(self, name)

    def plain_rules(self) -> tuple[tuple[str, FieldRule], ...]:
        """Every plain field with its rule, in :data:`PLAIN_FIELDS` order."""
        return _rules_of(self).plain


class _Rules:
    """The rule answers of one policy, remembered: merge asks for every field of every record.

    Kept beside the policy rather than on it, so the (frozen) policy's value and equality
    stay its configuration alone.
    """

    __slots__ = ("_known", "plain")

    def __init__(self, policy: ObjectPolicy) -> None:
        # No reference to the policy is kept: the cache entry must die with it.
        self._known: dict[str, FieldRule] = {}
        self.plain = tuple((name, self.rule_for(policy, name)) for name in PLAIN_FIELDS)

    def rule_for(self, policy: ObjectPolicy, name: str) -> FieldRule:
        rule = self._known.get(name)
        if rule is None:
            rule = policy.fields.get(name) or policy.fields.get(name.split(".", 1)[0])
            rule = rule or policy.default_rule or _implicit_rule(policy.master)
            self._known[name] = rule
        return rule


_RULES: dict[int, tuple[weakref.ref[ObjectPolicy], _Rules]] = {}


def _rules_of(policy: ObjectPolicy) -> _Rules:
    key = id(policy)
    entry = _RULES.get(key)
    if entry is not None and entry[0]() is policy:
        return entry[1]
    rules = _Rules(policy)
    # The entry leaves with its policy, so a later object at the same address never sees it.
    _RULES[key] = (weakref.ref(policy, lambda _ref: _RULES.pop(key, None)), rules)
    return rules


_BANT_FIELDS: tuple[str, ...] = tuple(Bant.model_fields)


@lru_cache(maxsize=256)
def _phrase(rule: FieldRule) -> str:
    return rule.describe()


@lru_cache(maxsize=64)
def _implicit_rule(master: str | None) -> FieldRule:
    # Built once per master: merge asks for a rule for every field of every record.
    if master is None:
        return FieldRule(kind="most_recent")
    return FieldRule(kind="prefer", systems=(master,))


class SurvivorshipPolicy(BaseModel):
    """Policies of every object type, e.g. ``{"lead": ..., "contact": ...}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    objects: dict[str, ObjectPolicy]

    def for_object(self, name: str) -> ObjectPolicy:
        """Return the policy of object ``name``.

        Raises:
            ConfigError: No policy is configured for it.
        """
        try:
            return self.objects[name]
        except KeyError:
            raise ConfigError(f"no survivorship policy for object {name!r}") from None


@dataclass(frozen=True, slots=True)
class Decision:
    """One field where the incoming value differed from the current one.

    Attributes:
        field: Canonical field name.
        old: The value held before.
        new: The value that came in.
        kept_value: The value held after the merge.
        winner_system: The system whose value survives (None if unknown).
        rule: The rule phrase that decided (or the fixed rule's name).
        reason: Why, in words.
    """

    field: str
    old: object
    new: object
    kept_value: object
    winner_system: str | None
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """The merged lead, every decision made on a differing value, and whether anything changed."""

    lead: Lead
    decisions: list[Decision] = field(default_factory=list)
    changed: bool = False


class _Merge:
    """State of one merge: values and provenance being built, decisions taken."""

    def __init__(
        self,
        current: Lead,
        incoming: Lead,
        system: str,
        observed_at: datetime,
        policy: ObjectPolicy,
        create: bool,
    ) -> None:
        self.cur, self.inc, self.system = current, incoming, system
        self.at, self.policy, self.create = observed_at, policy, create
        self.values: dict[str, Any] = {}
        self.prov: dict[str, Provenance] = dict(current.provenance)
        self.decisions: list[Decision] = []
        self.changed = False
        self._own_times = incoming.provenance
        self._stamps: dict[datetime, Provenance] = {}

    def time_of(self, name: str) -> datetime:
        """When the incoming value of ``name`` was observed (its own provenance, if sent)."""
        own = self._own_times.get(name)
        return own.observed_at if own is not None else self.at

    def stamp(self, at: datetime) -> Provenance:
        """The provenance of a value taken from the incoming system, observed at ``at``."""
        # Provenance is frozen: the fields of one observation share one instance.
        prov = self._stamps.get(at)
        if prov is None:
            prov = self._stamps[at] = Provenance(system=self.system, observed_at=at)
        return prov

    def decide(self, name: str, cur: object, inc: object, rule: FieldRule) -> object:
        """Merge one value under ``rule``; return the surviving value."""
        inc_blank = is_blank(inc)
        if inc_blank and is_blank(cur):
            return cur
        if self.create:
            # A new record takes every non-blank value and reports no decision; most merges
            # create, so this skips the verdict and ``apply`` for every field of them.
            if inc_blank:
                return cur
            self.prov[name] = self.stamp(self.time_of(name))
            if inc == cur:
                return cur
            self.changed = True
            return inc
        at, prov = self.time_of(name), self.prov.get(name)
        if rule.kind != "first_touch" and self._stale(prov, at):
            verdict = Verdict(False, f"stale: older than the value already seen from {self.system}")
        else:
            ctx = FieldContext(name, cur, inc, prov, self.system, at, self.policy.master)
            verdict = evaluate(rule, ctx)
        if inc == cur:
            # The same value confirmed by an observation that would have won: it now stands on
            # that observation, so a later, weaker one cannot displace it.
            if verdict.take:
                self.prov[name] = self.stamp(at)
            return cur
        return self.apply(name, cur, inc, verdict, rule)

    def _stale(self, prov: Provenance | None, at: datetime) -> bool:
        return prov is not None and prov.system == self.system and at < prov.observed_at

    def apply(
        self, name: str, cur: object, inc: object, verdict: Verdict, rule: FieldRule | str
    ) -> object:
        """Record the verdict on one differing value and return the surviving value."""
        prov = self.prov.get(name)
        if verdict.take:
            self.prov[name] = self.stamp(self.time_of(name))
            self.changed = True
        if not self.create and not (not verdict.take and is_blank(inc)):
            kept = inc if verdict.take else cur
            winner = self.system if verdict.take else (prov.system if prov else None)
            phrase = rule if isinstance(rule, str) else _phrase(rule)
            self.decisions.append(Decision(name, cur, inc, kept, winner, phrase, verdict.reason))
        return inc if verdict.take else cur

    def fixed(self, name: str, cur: object, inc: object, take: bool, reason: str) -> object:
        """Apply one of the fixed rules (touches, stage, deleted) to a differing value."""
        if inc == cur or (inc is None and not take):
            return cur
        return self.apply(name, cur, inc, Verdict(take, reason), f"fixed rule for {name}")


def merge(
    current: Lead | None,
    incoming: Lead,
    *,
    incoming_system: str,
    observed_at: datetime,
    policy: ObjectPolicy,
) -> MergeOutcome:
    """Merge ``incoming`` (observed in ``incoming_system`` at ``observed_at``) into ``current``.

    Args:
        current: The record as held now, or None when creating it.
        incoming: The values just observed. ``incoming.provenance`` may carry per-field
            observation times (they override ``observed_at`` for those fields).
        incoming_system: The system the values came from.
        observed_at: When they were observed (timezone-aware recommended).
        policy: The object's survivorship policy.

    Returns:
        The merged lead, the decisions on differing values, and whether anything changed.

    Raises:
        ConfigError: A hook rule cannot be imported.
    """
    state = _Merge(
        current or Lead(), incoming, incoming_system, observed_at, policy, create=current is None
    )
    base = state.cur
    sent = incoming.model_fields_set
    values = state.values
    # A model's fields are its __dict__ (extra="forbid"): cheaper than getattr per field.
    base_values, inc_values = base.__dict__, incoming.__dict__
    for name, rule in policy.plain_rules():
        cur, inc = base_values[name], inc_values[name]
        if name not in sent and is_blank(inc):
            values[name] = cur  # not sent at all: nothing to decide, even for 'always'
            continue
        values[name] = state.decide(name, cur, inc, rule)
    state.values["custom"] = _merge_custom(state, base.custom, incoming.custom)
    state.values["qualification"] = _merge_bant(state, base.qualification, incoming.qualification)
    _merge_touches(state, base, incoming)
    _merge_stage(state, base, incoming)
    _merge_ids(state, base.external_ids, incoming.external_ids)
    state.values["deleted"] = state.fixed(
        "deleted",
        base.deleted,
        incoming.deleted,
        policy.master in (None, incoming_system)
        and not state._stale(state.prov.get("deleted"), observed_at),
        "only the master system deletes or restores",
    )
    stamps = [t for t in (base.updated_at, incoming.updated_at) if t is not None]
    state.values["updated_at"] = max(stamps) if stamps else None
    state.values["provenance"] = state.prov
    merged = base.model_copy(update=state.values)
    changed = state.changed or merged != base
    return MergeOutcome(merged, state.decisions, changed)


def _merge_custom(state: _Merge, cur: dict[str, Any], inc: dict[str, Any]) -> dict[str, Any]:
    out = dict(cur)
    for key, value in inc.items():
        name = f"custom.{key}"
        out[key] = state.decide(name, cur.get(key), value, state.policy.rule_for(name))
    return out


def _merge_bant(state: _Merge, cur: Bant, inc: Bant) -> Bant:
    if _all_blank(inc) and _all_blank(cur):
        return cur  # every key would keep its (blank) current value
    values = {
        key: state.decide(
            f"qualification.{key}",
            getattr(cur, key),
            getattr(inc, key),
            state.policy.rule_for(f"qualification.{key}"),
        )
        for key in _BANT_FIELDS
    }
    return cur.model_copy(update=values)


def _all_blank(bant: Bant) -> bool:
    values = bant.__dict__
    return all(is_blank(values[key]) for key in _BANT_FIELDS)


def _touch_time(touch: Touch | None, prov: Provenance | None) -> datetime | None:
    if touch is None:
        return None
    return touch.at or (prov.observed_at if prov else None)


def _merge_touches(state: _Merge, base: Lead, inc: Lead) -> None:
    cur, new = base.first_touch, inc.first_touch
    earlier = bool(cur and new and cur.at and new.at and new.at < cur.at)
    reason = "earlier touch arrived late" if earlier else "first touch is never overwritten"
    state.values["first_touch"] = state.fixed(
        "first_touch",
        cur,
        new,
        cur is None or earlier,
        "first touch recorded" if cur is None else reason,
    )
    cur, new = base.latest_touch, inc.latest_touch
    cur_t = _touch_time(cur, state.prov.get("latest_touch"))
    new_t = new.at if new and new.at else state.time_of("latest_touch")
    newer = cur is None or cur_t is None or new_t > cur_t
    state.values["latest_touch"] = state.fixed(
        "latest_touch",
        cur,
        new,
        newer,
        "newer touch" if newer else "older than the current latest touch",
    )


def _merge_stage(state: _Merge, base: Lead, inc: Lead) -> None:
    cur, new = base.stage, inc.stage
    master = state.policy.master in (None, state.system)
    prov = state.prov.get("stage")
    take, reason = False, "stage never moves backward"
    if new is None or new == cur:
        take = False
    elif state._stale(prov, state.time_of("stage")):
        reason = f"stale: older than the stage already seen from {state.system}"
    elif cur is None:
        take, reason = True, "first stage"
    elif Stage.DISQUALIFIED in (new, cur):
        take = master and (prov is None or state.time_of("stage") >= prov.observed_at)
        reason = (
            "the master system decides disqualification"
            if take
            else ("only the master system disqualifies or re-opens a disqualified lead")
        )
    elif new.rank > cur.rank:
        take, reason = True, "moves forward in the funnel"
    state.values["stage"] = state.fixed("stage", cur, new, take, reason)
    changed_at = dict(base.stage_changed_at)
    for stage, when in inc.stage_changed_at.items():
        if stage not in changed_at or when < changed_at[stage]:
            changed_at[stage] = when
    state.values["stage_changed_at"] = changed_at


def _merge_ids(state: _Merge, cur: dict[str, str], inc: dict[str, str]) -> None:
    out = dict(cur)
    for system, ext_id in inc.items():
        old = out.get(system)
        if old is None or old == ext_id:
            out[system] = ext_id
            continue
        own = system == state.system
        reason = (
            "a system's own id comes from that system"
            if own
            else (f"only {system} changes its own id")
        )
        verdict = Verdict(own, reason)
        kept = state.apply(f"external_ids.{system}", old, ext_id, verdict, "external_ids")
        out[system] = str(kept)
    state.values["external_ids"] = out
