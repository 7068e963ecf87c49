"""Which golden leads the planner looks up in the target before planning."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from leadsync.mapping.model import Lead
from leadsync.sync.ingest import Ingested, Touched
from leadsync.sync.planner import _may_be_in_target


def _ctx(contact_object: str | None = "Contact") -> Any:
    target = SimpleNamespace(name="salesforce", object="Lead", contact_object=contact_object)
    return SimpleNamespace(target=target)


def _touched(gid: int, created: bool, *sources: str) -> Touched:
    return Touched(gid, Lead(), sources=list(sources), created=created)


def test_new_leads_from_other_systems_are_not_looked_up() -> None:
    ingested = Ingested()
    for touched in (
        _touched(1, True, "hubspot:contacts:1"),  # new: it cannot be in Salesforce yet
        _touched(2, False, "hubspot:contacts:2"),  # an existing golden: it may be
        _touched(3, True, "hubspot:contacts:3", "salesforce:Lead:00Q1"),  # linked just now
        _touched(4, True, "salesforce:Contact:0031"),  # the contact object counts too
        _touched(5, True, "salesforce:Account:0011"),  # another object does not
    ):
        ingested.touched[touched.golden_id or 0] = touched
    assert _may_be_in_target(_ctx(), ingested) == [2, 3, 4]
    assert _may_be_in_target(_ctx(contact_object=None), ingested) == [2, 3]
