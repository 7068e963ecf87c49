"""Plan the target side of a batch: score, gate, route owners, diff against the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadsync.mapping.model import Lead
from leadsync.store import golden
from leadsync.store.golden import golden_key
from leadsync.sync.context import RunContext
from leadsync.sync.ingest import Ingested, Touched
from leadsync.sync.plan import Change, FieldDiff
from leadsync.sync.values import blank, same_value


@dataclass
class _Draft:
    touched: Touched
    change: Change
    desired: dict[str, Any]
    snapshot: dict[str, Any]


def plan(
    ctx: RunContext, session: Session, ingested: Ingested
) -> tuple[list[Change], dict[int, dict[str, Any]]]:
    """Return one change per golden lead the batch touched, and their target snapshots."""
    target = ctx.target
    ids = _may_be_in_target(ctx, ingested)
    existing = golden.identities_of(session, ids, target.name, target.object)
    contacts = (
        golden.identities_of(session, ids, target.name, target.contact_object)
        if target.contact_object
        else {}
    )
    changes: list[Change] = []
    snapshots: dict[int, dict[str, Any]] = {}
    drafts: list[_Draft] = []
    for gid, touched in ingested.touched.items():
        identity = existing.get(gid)
        target_id = identity.external_id if identity else None
        if identity is not None and identity.deleted:
            reason = f"deleted in {target.name}: not recreated"
            changes.append(Change(touched.sources, gid, "skip", reason, target_id=target_id))
            continue
        contact = contacts.get(gid)
        if identity is None and contact is not None and not contact.deleted:
            note = f"matches existing {target.contact_object} {contact.external_id}"
            if ctx.job.contacts == "skip":
                reason = f"{note}: not created as a {target.object} (contacts: skip)"
                changes.append(Change(touched.sources, gid, "skip", reason))
                continue
            if ctx.job.contacts == "update":
                snapshots[gid] = dict(contact.snapshot or {})
                changes.append(_contact_update(ctx, touched, contact.external_id, snapshots[gid]))
                continue
            touched.reasons.append(f"{note}; created linked")
        snapshots[gid] = dict(identity.snapshot or {}) if identity else {}
        draft = _draft(ctx, touched, target_id, snapshots[gid])
        changes.append(draft.change)
        if draft.change.action != "review":
            drafts.append(draft)
    _route(ctx, session, [d for d in drafts if _needs_owner(ctx, d)])
    for draft in drafts:
        _finish(ctx, draft)
    return changes, snapshots


def _may_be_in_target(ctx: RunContext, ingested: Ingested) -> list[int]:
    """The touched golden ids that may have an identity in the target already.

    A golden lead this batch created is linked to this batch's records only, so it has one
    in the target only when one of those records came from the target's object; most of a
    large first sync is such new leads, and looking each up cost a query per 500.
    """
    target = ctx.target
    objects = (target.object, target.contact_object)
    own = tuple(f"{target.name}:{o}:" for o in objects if o)
    return [
        gid
        for gid, touched in ingested.touched.items()
        if not touched.created or any(s.startswith(own) for s in touched.sources)
    ]


def _draft(
    ctx: RunContext, touched: Touched, target_id: str | None, snapshot: dict[str, Any]
) -> _Draft:
    if ctx.router is not None:
        touched.lead = ctx.router.qualify(touched.lead)
    mapped = ctx.target.mapping.to_target(touched.lead)
    desired = {k: v for k, v in mapped.items() if not blank(v)}
    reason = "; ".join(dict.fromkeys(touched.reasons))
    change = Change(touched.sources, touched.golden_id, "skip", reason, target_id=target_id)
    blocked = _gate(ctx, touched.lead)
    if blocked:
        change.action, change.reason = "review", f"stage gate: missing {', '.join(blocked)}"
        change.missing = blocked
    return _Draft(touched, change, desired, snapshot)


def _contact_update(
    ctx: RunContext, touched: Touched, contact_id: str, snapshot: dict[str, Any]
) -> Change:
    """Update the existing contact with the merged values instead of creating a lead."""
    target = ctx.target
    mapping = target.contact_mapping
    obj = target.contact_object
    reason = f"matches existing {obj} {contact_id}: updating it (contacts: update)"
    change = Change(touched.sources, touched.golden_id, "skip", reason, target_id=contact_id,
                    object=obj)  # fmt: skip
    if mapping is None:
        return change
    keep_out = {target.key_field, target.owner_field}
    desired = {k: v for k, v in mapping.to_target(touched.lead).items()
               if not blank(v) and k not in keep_out}  # fmt: skip
    changed = {k: v for k, v in desired.items() if not same_value(snapshot.get(k), v)}
    if changed:
        change.action, change.fields = "update", changed
        change.diffs = [FieldDiff(k, snapshot.get(k), v) for k, v in changed.items()]
    else:
        change.reason = f"{reason}; unchanged"
    return change


def _needs_owner(ctx: RunContext, draft: _Draft) -> bool:
    owner_field = ctx.target.owner_field
    if owner_field is None or ctx.router is None:
        return False
    return blank(draft.snapshot.get(owner_field))


def _finish(ctx: RunContext, draft: _Draft) -> None:
    target, change, desired = ctx.target, draft.change, draft.desired
    gid = change.golden_id
    if change.target_id is None:
        if not target.key_is_natural and target.key_field and gid is not None:
            desired[target.key_field] = golden_key(gid)
        change.action, change.fields = "create", desired
        change.diffs = _diffs(ctx, draft.touched, {}, desired)
        return
    snapshot = draft.snapshot
    changed = {k: v for k, v in desired.items() if not same_value(snapshot.get(k), v)}
    if not changed:
        change.reason = f"{change.reason}; unchanged in {target.name}"
        return
    change.action, change.fields = "update", changed
    change.diffs = _diffs(ctx, draft.touched, snapshot, changed)


def _diffs(
    ctx: RunContext, touched: Touched, before: dict[str, Any], after: dict[str, Any]
) -> list[FieldDiff]:
    """Each target field's change with the system and rule that decided its canonical value."""
    canonical_of, owner_field = ctx.target.canonical_of, ctx.target.owner_field
    out = []
    for target_field, new in after.items():
        old = before.get(target_field)
        path = canonical_of.get(target_field)
        decision = touched.last_decision(path) if path is not None else None
        if decision is not None:
            out.append(FieldDiff(target_field, old, new, decision.system, decision.rule))
        elif target_field == owner_field:
            out.append(FieldDiff(target_field, old, new, "routing", touched.route_rule))
        else:
            out.append(FieldDiff(target_field, old, new))
    return out


def _gate(ctx: RunContext, lead: Lead) -> list[str]:
    if ctx.router is None or lead.stage is None:
        return []
    result = ctx.router.check_gate(lead, lead.stage)
    return [] if result.allowed else list(result.missing_fields)


def _route(ctx: RunContext, session: Session, drafts: list[_Draft]) -> None:
    """Assign owners to every draft at once (one cursor lock per team per batch)."""
    router: Any = ctx.router
    drafts = [d for d in drafts if d.change.golden_id is not None]
    if router is None or not drafts:
        return
    items = [
        (d.touched.lead, golden_key(d.change.golden_id or 0), _account_owner(ctx, d.touched.lead))
        for d in drafts
    ]
    if ctx.dry_run:
        assignments = [
            router.preview(lead, lead_key=key, account_owner_email=acc, session=session)
            for lead, key, acc in items
        ]
    else:
        # Same transaction as the golden records: on SQLite a second writer would deadlock.
        assignments = router.route_many(items, session=session)
    for draft, assignment in zip(drafts, assignments, strict=True):
        if assignment is None:
            continue
        draft.desired[ctx.target.owner_field or ""] = assignment.owner.id
        draft.change.owner_email, draft.change.route_rule = assignment.owner.email, assignment.rule
        draft.touched.route_rule = assignment.rule


def _account_owner(ctx: RunContext, lead: Lead) -> str | None:
    target = ctx.target
    if target.accounts is None:
        return None
    found = target.accounts.match_lead(lead)
    return target.account_owners.get(found.key) if found is not None else None
