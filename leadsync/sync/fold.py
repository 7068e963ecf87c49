"""Fold one incoming lead into the current one: the merge, and what ingest keeps of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from leadsync.jsoncodec import Encoded
from leadsync.mapping.model import Lead
from leadsync.mapping.normalize import email_match_key
from leadsync.sync.plan import FieldDiff
from leadsync.sync.policy import ObjectPolicy, merge
from leadsync.sync.values import jsonable


class Folded(NamedTuple):
    """A merge's result as ingest stores it (a tuple: a read-ahead process sends many).

    Attributes:
        lead: The merged lead.
        changed: Whether the merge changed anything.
        diffs: One per decision on a differing value; ``new`` is the value kept.
        details: The audit detail of each diff: what came in and why the kept value won.
        data: The merged lead as stored (made only when a row takes it: a new lead, or a
            change), else None; already encoded when a read-ahead process folded it.
        email_key: The merged email's match key, when ``data`` is made.
    """

    lead: Lead
    changed: bool
    diffs: list[FieldDiff]
    details: list[str]
    data: dict[str, Any] | Encoded | None
    email_key: str | None


def fold(
    current: Lead | None,
    incoming: Lead,
    *,
    system: str,
    observed_at: datetime,
    policy: ObjectPolicy,
) -> Folded:
    """Merge ``incoming`` from ``system`` into ``current`` (None: a new lead) under ``policy``.

    Depends on its arguments alone, so a new lead may be folded ahead, in another process.
    """
    outcome = merge(
        current, incoming, incoming_system=system, observed_at=observed_at, policy=policy
    )
    merged = outcome.lead
    diffs = [
        FieldDiff(d.field, jsonable(d.old), jsonable(d.kept_value), d.winner_system, d.rule)
        for d in outcome.decisions
    ]
    details = [
        f"{system} sent {jsonable(d.new)!r}; kept {d.winner_system}'s value: {d.reason}"[:2000]
        for d in outcome.decisions
    ]
    if current is not None and not outcome.changed:
        return Folded(merged, False, diffs, details, None, None)
    # The dump is the costliest step here: made only when a row takes it.
    data = merged.model_dump(mode="json", exclude_defaults=True)
    return Folded(merged, outcome.changed, diffs, details, data, email_match_key(merged.email))
