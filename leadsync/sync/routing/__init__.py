"""Routing, scoring and stage gates: every lead gets the right owner, fast, for a reason.

Public entry points: :class:`Router` (assign owners, durable fair round robin, caps,
availability), :class:`SpeedToLead` (first-response SLA, escalation), :func:`explain` ("why
this owner?"), :class:`RoutingConfig` (the ``routing`` section of a project file),
:func:`score` and :func:`check_gate`. See ``docs/routing.md``.
"""

from __future__ import annotations

from leadsync.sync.routing.config import RoutingConfig
from leadsync.sync.routing.explain import Decision, explain
from leadsync.sync.routing.gates import GateResult, check_gate
from leadsync.sync.routing.router import Assignment, Router
from leadsync.sync.routing.scoring import score
from leadsync.sync.routing.sla import Breach, SpeedToLead

__all__ = [
    "Assignment",
    "Breach",
    "Decision",
    "GateResult",
    "Router",
    "RoutingConfig",
    "SpeedToLead",
    "check_gate",
    "explain",
    "score",
]
