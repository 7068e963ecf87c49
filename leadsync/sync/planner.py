"""Plan the target side of a batch: route owners, apply stage gates, diff against the target."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadsync.mapping.model import Lead
from leadsync.store import golden
from leadsync.store.golden import golden_key
from leadsync.sync.context import RunContext
from leadsync.sync.ingest import Ingested, Touched
from leadsync.sync.plan import Change, FieldDiff
from leadsync.sync.values import blank, same_value


def plan(
    ctx: RunContext, session: Session, ingested: Ingested
) -> tuple[list[Change], dict[int, dict[str, Any]]]:
    """Return one change per golden lead the batch touched, and their target snapshots."""
    target = ctx.target
    ids = [gid for gid in ingested.touched]
    existing = golden.identities_of(session, ids, target.name)
    changes, snapshots = [], {}
    for gid, touched in ingested.touched.items():
        identity = existing.get(gid)
        if identity is not None and identity.deleted:
            reason = f"deleted in {target.name}: not recreated"
            changes.append(
                Change(touched.sources, gid, "skip", reason, target_id=identity.external_id)
            )
            continue
        snapshot: dict[str, Any] = dict(identity.snapshot or {}) if identity else {}
        snapshots[gid] = snapshot
        change = _plan_one(ctx, touched, identity.external_id if identity else None, snapshot)
        changes.append(change)
    return changes, snapshots


def _plan_one(
    ctx: RunContext, touched: Touched, target_id: str | None, snapshot: dict[str, Any]
) -> Change:
    target = ctx.target
    gid = touched.golden_id
    desired = {k: v for k, v in target.mapping.to_target(touched.lead).items() if not blank(v)}
    reason = "; ".join(dict.fromkeys(touched.reasons))
    change = Change(touched.sources, gid, "skip", reason, target_id=target_id)
    blocked = _gate(ctx, touched.lead)
    if blocked:
        change.action, change.reason = "review", f"stage gate: missing {', '.join(blocked)}"
        change.missing = blocked
        return change
    owner_field = target.owner_field
    if owner_field and ctx.router is not None and blank(snapshot.get(owner_field)):
        _route(ctx, touched.lead, gid, desired, change)
    if target_id is None:
        if not target.key_is_natural and target.key_field and gid is not None:
            desired[target.key_field] = golden_key(gid)
        change.action, change.fields = "create", desired
        change.diffs = [FieldDiff(k, None, v, *_decider(touched, k)) for k, v in desired.items()]
        return change
    changed = {k: v for k, v in desired.items() if not same_value(snapshot.get(k), v)}
    if not changed:
        change.reason = f"{reason}; unchanged in {target.name}"
        return change
    change.action, change.fields = "update", changed
    change.diffs = [
        FieldDiff(k, snapshot.get(k), v, *_decider(touched, k)) for k, v in changed.items()
    ]
    return change


def _decider(touched: Touched, target_field: str) -> tuple[str | None, str | None]:
    # Target field names differ from canonical ones; report the newest decision on a field of
    # the same name when the mapping is one-to-one, else leave it to the audit trail.
    for diff in reversed(touched.decisions):
        if diff.field.lower() == target_field.lower():
            return diff.system, diff.rule
    return None, None


def _gate(ctx: RunContext, lead: Lead) -> list[str]:
    if ctx.router is None or lead.stage is None:
        return []
    check = getattr(ctx.router, "check_gate", None)
    if check is None:
        return []
    result = check(lead, lead.stage)
    return [] if result.allowed else list(result.missing_fields)


def _route(
    ctx: RunContext, lead: Lead, gid: int | None, desired: dict[str, Any], change: Change
) -> None:
    target = ctx.target
    if gid is None or ctx.dry_run and not hasattr(ctx.router, "preview"):
        return
    router: Any = ctx.router
    route = router.preview if ctx.dry_run else router.route
    assignment = route(lead, lead_key=golden_key(gid))
    if assignment is None:
        return
    desired[target.owner_field or ""] = assignment.owner.id
    change.owner_email, change.route_rule = assignment.owner.email, assignment.rule
