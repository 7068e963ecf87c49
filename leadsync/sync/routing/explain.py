"""Routing decisions recorded for one lead ("why this owner?"), read back from the audit log.

The router writes one ``route`` entry per assignment (the rule that fired and, as JSON, the
values it saw); SLA escalation writes ``sla`` entries (previous and new owner). This module
turns them into plain data for ``leadsync explain`` and for callers of the library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from leadsync.store import routing_state
from leadsync.store.models import AuditEntry


@dataclass(frozen=True)
class Decision:
    """One routing decision about a lead.

    Attributes:
        at: When it was made.
        kind: ``route`` (first assignment) or ``sla`` (escalation after a missed deadline).
        owner: The owner's email after the decision.
        previous_owner: The owner's email before it (escalations only).
        rule: The rule that fired (``account-owner``, ``fallback``, a rule name...).
        seen: The values the rule looked at (``{"country": "DE", "tier": "hot"}``).
    """

    at: datetime
    kind: str
    owner: str | None
    previous_owner: str | None
    rule: str | None
    seen: dict[str, Any] = field(default_factory=dict)

    def sentence(self) -> str:
        """A one-line human explanation."""
        values = ", ".join(f"{k}={v!r}" for k, v in self.seen.items())
        if self.kind == "sla":
            return f"{self.previous_owner} -> {self.owner}: {self.rule} ({values})"
        return f"{self.owner} by rule {self.rule!r}" + (f" because {values}" if values else "")


def explain(factory: sessionmaker[Session], lead_key: str) -> list[Decision]:
    """Return every routing decision recorded for ``lead_key``, oldest first."""
    with factory() as session:
        return [_decision(entry) for entry in routing_state.decisions(session, lead_key)]


def _decision(entry: AuditEntry) -> Decision:
    return Decision(
        at=entry.at,
        kind=entry.kind,
        owner=entry.after if isinstance(entry.after, str) else None,
        previous_owner=entry.before if isinstance(entry.before, str) else None,
        rule=entry.rule,
        seen=_seen(entry.detail),
    )


def _seen(detail: str | None) -> dict[str, Any]:
    # Route entries hold a JSON object; SLA entries (and any older entry) plain text.
    if not detail:
        return {}
    try:
        parsed = json.loads(detail)
    except ValueError:
        return {"detail": detail}
    return parsed if isinstance(parsed, dict) else {"detail": detail}
