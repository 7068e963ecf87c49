"""Survivorship: each rule, stale and out-of-order updates, touches, stage and hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync.errors import ConfigError
from leadsync.mapping.model import Lead, Provenance, Stage, Touch
from leadsync.sync.policy import ObjectPolicy, SurvivorshipPolicy, merge
from leadsync.sync.policy_rules import FieldContext, FieldRule

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HERE = __name__  # hooks below are imported by dotted path, however pytest named this module
NOT_CALLABLE = 42


def longer_title_wins(ctx: FieldContext) -> tuple[bool, str]:
    take = len(str(ctx.incoming or "")) > len(str(ctx.current or ""))
    return take, "longer title"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def held(value: str, system: str, hours: int, field: str = "title") -> Lead:
    """A current lead whose ``field`` came from ``system`` at hour ``hours``."""
    prov = {field: Provenance(system=system, observed_at=at(hours))}
    return Lead(**{field: value}, provenance=prov)


def run(
    current: Lead | None,
    incoming: Lead,
    system: str,
    hours: int,
    rule: Any,
    master: str = "salesforce",
) -> Any:
    policy = ObjectPolicy(master=master, fields={"title": rule} if rule else {})
    return merge(current, incoming, incoming_system=system, observed_at=at(hours), policy=policy)


RULE_CASES = [
    # (rule, current (value, system, hour), incoming (value, system, hour), expected value)
    ("always salesforce", ("CEO", "salesforce", 1), ("CTO", "hubspot", 5), "CEO"),
    ("always salesforce", ("CEO", "hubspot", 1), ("CTO", "salesforce", 5), "CTO"),
    ("always salesforce", ("CEO", "salesforce", 1), (None, "salesforce", 5), None),
    ("prefer salesforce unless blank", ("CEO", "salesforce", 1), (None, "salesforce", 5), "CEO"),
    ("prefer salesforce unless blank", ("CEO", "salesforce", 1), ("CTO", "hubspot", 5), "CEO"),
    ("prefer salesforce unless blank", ("CEO", "hubspot", 1), ("CTO", "forms", 5), "CTO"),
    ("prefer salesforce unless blank", ("CEO", "hubspot", 9), ("CTO", "forms", 5), "CEO"),
    ("most recent non-empty", ("CEO", "salesforce", 1), ("CTO", "hubspot", 5), "CTO"),
    ("most recent non-empty", ("CEO", "salesforce", 9), ("CTO", "hubspot", 5), "CEO"),
    ("most recent non-empty", ("CEO", "salesforce", 1), ("", "hubspot", 5), "CEO"),
    ("priority salesforce, hubspot", ("CEO", "hubspot", 9), ("CTO", "salesforce", 5), "CTO"),
    ("priority salesforce, hubspot", ("CEO", "salesforce", 1), ("CTO", "hubspot", 5), "CEO"),
    ("priority salesforce, hubspot", ("CEO", "forms", 1), ("CTO", "hubspot", 5), "CTO"),
    ("salesforce > hubspot", ("CEO", "hubspot", 1), ("CTO", "hubspot", 5), "CTO"),
    ("never overwrite once set", ("CEO", "forms", 1), ("CTO", "salesforce", 5), "CEO"),
    ("never overwrite once set", (None, "forms", 1), ("CTO", "salesforce", 5), "CTO"),
    ("first touch wins", ("CEO", "forms", 5), ("CTO", "hubspot", 1), "CTO"),
    ("first touch wins", ("CEO", "forms", 1), ("CTO", "hubspot", 5), "CEO"),
    (
        f"hook {HERE}:longer_title_wins",
        ("CEO", "forms", 1),
        ("Chief Executive", "hubspot", 5),
        "Chief Executive",
    ),
    (
        f"hook {HERE}.longer_title_wins",
        ("Chief Executive", "forms", 1),
        ("CEO", "hubspot", 5),
        "Chief Executive",
    ),
]


@pytest.mark.parametrize(
    ("rule", "cur", "inc", "expected"),
    RULE_CASES,
    ids=[f"{c[0]}|{c[1][1]}@{c[1][2]}->{c[2][1]}@{c[2][2]}" for c in RULE_CASES],
)
def test_field_rules(
    rule: str, cur: tuple[Any, str, int], inc: tuple[Any, str, int], expected: str | None
) -> None:
    current = held(cur[0], cur[1], cur[2]) if cur[0] else Lead()
    outcome = run(current, Lead(title=inc[0]), inc[1], inc[2], rule)
    assert outcome.lead.title == expected
    assert outcome.changed == (expected != cur[0])
    if expected != cur[0]:
        assert outcome.lead.provenance["title"] == Provenance(system=inc[1], observed_at=at(inc[2]))


def test_decision_records_kept_differing_value() -> None:
    outcome = run(
        held("CEO", "salesforce", 1), Lead(title="CTO"), "hubspot", 5, "always salesforce"
    )
    [decision] = outcome.decisions
    assert (decision.field, decision.old, decision.new, decision.kept_value) == (
        "title",
        "CEO",
        "CTO",
        "CEO",
    )
    assert decision.winner_system == "salesforce"
    assert decision.rule == "always salesforce"
    assert not outcome.changed


def test_blank_incoming_that_is_kept_is_not_a_decision() -> None:
    outcome = run(held("CEO", "salesforce", 1), Lead(), "hubspot", 5, None)
    assert outcome.decisions == []
    assert outcome.lead.title == "CEO"


def test_unsent_field_is_never_cleared_even_by_the_owner() -> None:
    cur = held("CEO", "salesforce", 1)
    assert run(cur, Lead(email="a@b.com"), "salesforce", 5, "always salesforce").lead.title == "CEO"
    cleared = run(cur, Lead(title=None), "salesforce", 5, "always salesforce")
    assert cleared.lead.title is None


def test_default_rule_prefers_the_master() -> None:
    cur = held("CEO", "salesforce", 1)
    assert run(cur, Lead(title="CTO"), "hubspot", 5, None).lead.title == "CEO"
    assert run(cur, Lead(title="CTO"), "salesforce", 5, None).lead.title == "CTO"


@pytest.mark.parametrize(
    "rule",
    [
        "most recent non-empty",
        "always salesforce",
        "priority salesforce, hubspot",
        "prefer salesforce",
    ],
)
def test_stale_update_from_the_same_system_never_regresses(rule: str) -> None:
    newer = run(held("CEO", "salesforce", 1), Lead(title="CTO"), "salesforce", 9, rule).lead
    replay = run(newer, Lead(title="CEO"), "salesforce", 5, rule)
    assert replay.lead.title == "CTO"
    assert "stale" in replay.decisions[0].reason


def test_create_takes_every_incoming_value_with_provenance() -> None:
    incoming = Lead(email="a@b.com", title="CTO", stage=Stage.MQL, custom={"x": 1})
    outcome = run(None, incoming, "hubspot", 3, "always salesforce")
    assert outcome.changed
    assert outcome.decisions == []
    assert (outcome.lead.email, outcome.lead.title, outcome.lead.stage) == (
        "a@b.com",
        "CTO",
        Stage.MQL,
    )
    assert outcome.lead.provenance["email"].system == "hubspot"
    assert outcome.lead.custom == {"x": 1}


def test_incoming_field_provenance_overrides_observed_at() -> None:
    early = {"title": Provenance(system="hubspot", observed_at=at(0))}
    outcome = run(
        held("CEO", "salesforce", 1),
        Lead(title="CTO", provenance=early),
        "hubspot",
        5,
        "most recent non-empty",
    )
    assert outcome.lead.title == "CEO"


def test_first_touch_is_never_overwritten_except_by_an_earlier_touch() -> None:
    first = Touch(source="webinar", at=at(1))
    cur = Lead(first_touch=first)
    later = run(cur, Lead(first_touch=Touch(source="ads", at=at(5))), "hubspot", 6, None)
    assert later.lead.first_touch == first
    assert later.decisions[0].field == "first_touch"
    undated = run(cur, Lead(first_touch=Touch(source="ads")), "salesforce", 6, None)
    assert undated.lead.first_touch == first
    earlier = run(cur, Lead(first_touch=Touch(source="seo", at=at(0))), "hubspot", 6, None)
    assert earlier.lead.first_touch is not None
    assert earlier.lead.first_touch.source == "seo"


def test_latest_touch_only_moves_to_newer_touches() -> None:
    cur = Lead(latest_touch=Touch(source="ads", at=at(5)))
    older = run(cur, Lead(latest_touch=Touch(source="seo", at=at(2))), "hubspot", 9, None)
    assert older.lead.latest_touch == cur.latest_touch
    newer = run(cur, Lead(latest_touch=Touch(source="email", at=at(7))), "hubspot", 9, None)
    assert newer.lead.latest_touch is not None
    assert newer.lead.latest_touch.source == "email"


STAGE_CASES = [
    (Stage.MQL, Stage.SQL, "hubspot", Stage.SQL),
    (Stage.SQL, Stage.MQL, "salesforce", Stage.SQL),
    (Stage.CUSTOMER, Stage.NEW, "hubspot", Stage.CUSTOMER),
    (Stage.SQL, Stage.DISQUALIFIED, "hubspot", Stage.SQL),
    (Stage.SQL, Stage.DISQUALIFIED, "salesforce", Stage.DISQUALIFIED),
    (Stage.DISQUALIFIED, Stage.MQL, "hubspot", Stage.DISQUALIFIED),
    (Stage.DISQUALIFIED, Stage.SQL, "salesforce", Stage.SQL),
    (None, Stage.MQL, "forms", Stage.MQL),
]


@pytest.mark.parametrize(
    ("cur", "inc", "system", "expected"),
    STAGE_CASES,
    ids=[f"{c[0]}->{c[1]}@{c[2]}" for c in STAGE_CASES],
)
def test_stage_moves_forward_and_master_disqualifies(
    cur: Stage | None, inc: Stage, system: str, expected: Stage
) -> None:
    current = Lead(stage=cur, provenance={"stage": Provenance(system="x", observed_at=at(1))})
    assert run(current, Lead(stage=inc), system, 5, None).lead.stage == expected


def test_stage_changed_at_keeps_the_earliest_time() -> None:
    cur = Lead(stage_changed_at={Stage.MQL: at(5)})
    inc = Lead(stage_changed_at={Stage.MQL: at(2), Stage.SQL: at(6)})
    merged = run(cur, inc, "hubspot", 7, None).lead
    assert merged.stage_changed_at == {Stage.MQL: at(2), Stage.SQL: at(6)}


def test_external_ids_union_and_own_id_wins() -> None:
    cur = Lead(external_ids={"salesforce": "00Q1", "hubspot": "11"})
    out = run(
        cur,
        Lead(external_ids={"hubspot": "12", "salesforce": "00Q9", "forms": "f1"}),
        "hubspot",
        5,
        None,
    )
    assert out.lead.external_ids == {"salesforce": "00Q1", "hubspot": "12", "forms": "f1"}
    assert {d.field for d in out.decisions} == {"external_ids.hubspot", "external_ids.salesforce"}


def test_only_master_deletes() -> None:
    assert run(Lead(), Lead(deleted=True), "hubspot", 5, None).lead.deleted is False
    assert run(Lead(), Lead(deleted=True), "salesforce", 5, None).lead.deleted is True


def test_without_a_master_the_newest_value_wins_and_anyone_deletes() -> None:
    policy = ObjectPolicy()
    cur = held("CEO", "salesforce", 1)
    out = merge(
        cur,
        Lead(title="CTO", deleted=True),
        incoming_system="forms",
        observed_at=at(5),
        policy=policy,
    )
    assert out.lead.title == "CTO"
    assert out.lead.deleted is True
    stale = merge(cur, Lead(title="CTO"), incoming_system="forms", observed_at=at(0), policy=policy)
    assert stale.lead.title == "CEO"


def test_custom_and_qualification_use_dotted_rules() -> None:
    policy = ObjectPolicy(
        master="salesforce",
        fields={
            "custom.rating": FieldRule.model_validate("always hubspot"),
            "qualification": FieldRule.model_validate("never overwrite once set"),
        },
    )
    cur = Lead(custom={"rating": "Cold", "other": 1}, qualification={"need": "CRM"})
    inc = Lead(custom={"rating": "Hot"}, qualification={"need": "ERP", "timeline": "Q3"})
    merged = merge(cur, inc, incoming_system="hubspot", observed_at=at(5), policy=policy).lead
    assert merged.custom == {"rating": "Hot", "other": 1}
    assert (merged.qualification.need, merged.qualification.timeline) == ("CRM", "Q3")


def test_unchanged_merge_reports_nothing() -> None:
    cur = held("CEO", "salesforce", 1)
    outcome = run(cur, Lead(title="CEO"), "hubspot", 5, None)
    assert not outcome.changed
    assert outcome.decisions == []


def test_policy_lookup_and_bad_hooks() -> None:
    cfg = SurvivorshipPolicy.model_validate({"objects": {"lead": {"master": "salesforce"}}})
    assert cfg.for_object("lead").master == "salesforce"
    with pytest.raises(ConfigError):
        cfg.for_object("account")
    for path in (f"{HERE}:NOT_CALLABLE", "no.such.module:fn"):
        with pytest.raises(ConfigError):
            run(held("CEO", "forms", 1), Lead(title="CTO"), "hubspot", 5, f"hook {path}")


def test_remembered_rules_leave_the_policy_value_and_die_with_it() -> None:
    import gc

    from leadsync.sync import policy as policy_module
    from leadsync.sync.policy import ObjectPolicy

    used = ObjectPolicy(master="salesforce", fields={"phone": "always hubspot"})
    assert used.rule_for("phone").kind == "always"
    assert used.rule_for("custom.tier").kind == "prefer"  # falls back to the master rule
    assert dict(used.plain_rules())["phone"].systems == ("hubspot",)
    fresh = ObjectPolicy(master="salesforce", fields={"phone": "always hubspot"})
    assert used == fresh
    before = len(policy_module._RULES)
    del used
    gc.collect()
    assert len(policy_module._RULES) == before - 1
