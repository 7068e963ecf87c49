"""Shared renderings of runs and plans."""

from __future__ import annotations

from typing import Any

from leadsync.commands.output import Output
from leadsync.sync.plan import Change, RunStats  # plain value types: cheap to import


def stats_table(out: Output, title: str, stats: RunStats) -> None:
    """Print a run's counts as a two-column table."""
    data = stats.as_dict()
    out.table(
        title, ["outcome", "records"], [[k.replace("_", " "), v] for k, v in data.items() if v]
    )


def change_rows(changes: list[Change]) -> list[dict[str, Any]]:
    """Render changes as plain data (``plan --json``)."""
    return [
        {
            "action": c.action,
            "sources": c.sources,
            "golden_id": c.golden_id,
            "target_id": c.target_id,
            "reason": c.reason,
            "owner": c.owner_email,
            "route_rule": c.route_rule,
            "diffs": [
                {"field": d.field, "old": d.old, "new": d.new, "system": d.system, "rule": d.rule}
                for d in c.diffs
            ],
        }
        for c in changes
    ]
