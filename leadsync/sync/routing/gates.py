"""Stage gates: a lead may not enter a later lifecycle stage without its required fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadsync.mapping.model import Lead, Stage
from leadsync.sync.routing.conditions import field_value
from leadsync.sync.routing.config import Gates


@dataclass(frozen=True)
class GateResult:
    """Whether a lead may be in a stage, and what it lacks."""

    allowed: bool
    missing_fields: list[str] = field(default_factory=list)


def check_gate(lead: Lead, stage: Stage, gates: Gates) -> GateResult:
    """Check every gate at or below ``stage`` in the funnel (SQL also needs what MQL needs)."""
    missing: list[str] = []
    for gated, required in gates.required.items():
        if gated.rank <= stage.rank and gated != Stage.DISQUALIFIED:
            missing.extend(
                f for f in required if field_value(lead, f) in (None, "") and f not in missing
            )
    return GateResult(not missing, missing)
