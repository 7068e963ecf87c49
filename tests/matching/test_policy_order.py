"""Property: the order in which observations arrive never changes the merged result."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.mapping.model import Lead
from leadsync.sync.policy import ObjectPolicy, merge

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYSTEMS = ("salesforce", "hubspot", "forms")

observations = st.lists(
    st.tuples(st.sampled_from(SYSTEMS), st.sampled_from(["CEO", "CTO", "VP", None])),
    min_size=1,
    max_size=6,
)


def _apply(policy: ObjectPolicy, obs: list[tuple[int, str, str | None]]) -> str | None:
    lead: Lead | None = None
    for hour, system, title in obs:
        lead = merge(
            lead,
            Lead(title=title),
            incoming_system=system,
            observed_at=T0 + timedelta(hours=hour),
            policy=policy,
        ).lead
    assert lead is not None
    return lead.title


@settings(max_examples=60, deadline=None)
@given(observations, st.randoms(use_true_random=False))
def test_most_recent_is_order_independent(
    obs: list[tuple[str, str | None]], rnd: random.Random
) -> None:
    policy = ObjectPolicy(master="salesforce", default_rule="most recent non-empty")
    timed = [(hour, system, title) for hour, (system, title) in enumerate(obs)]
    shuffled = timed[:]
    rnd.shuffle(shuffled)
    newest = [title for _, _, title in timed if title]
    assert _apply(policy, shuffled) == (newest[-1] if newest else None)


@settings(max_examples=60, deadline=None)
@given(observations, st.randoms(use_true_random=False))
def test_priority_is_order_independent(
    obs: list[tuple[str, str | None]], rnd: random.Random
) -> None:
    policy = ObjectPolicy(master="salesforce", default_rule="priority salesforce, hubspot, forms")
    timed = [(hour, system, title) for hour, (system, title) in enumerate(obs)]
    shuffled = timed[:]
    rnd.shuffle(shuffled)
    ranked = sorted(
        ((SYSTEMS.index(system), -hour, title) for hour, system, title in timed if title),
    )
    assert _apply(policy, shuffled) == (ranked[0][2] if ranked else None)
