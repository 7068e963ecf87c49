"""Routing, scoring and stage gates: every lead gets the right owner, fast, for a reason.

Public entry points: :class:`Router` (assign owners, durable fair round robin, caps,
availability, SLA escalation), :class:`RoutingConfig` (the ``routing`` section of a project
file), :func:`score` and :func:`check_gate`.
"""

from __future__ import annotations

from leadsync.sync.routing.config import RoutingConfig
from leadsync.sync.routing.gates import GateResult, check_gate
from leadsync.sync.routing.router import Assignment, Router
from leadsync.sync.routing.scoring import score

__all__ = ["Assignment", "GateResult", "Router", "RoutingConfig", "check_gate", "score"]
