"""Speed-to-lead in the engine: stop SLA clocks on CRM responses, escalate missed deadlines.

A response is seen through the target refresh: the CRM's status field of a lead changed from
the value the CRM last showed us (a rep worked it). Escalations reassign the lead in the store
and write the new owner to the CRM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from leadsync.connectors.base import Record, WriteOp
from leadsync.store import audit, golden
from leadsync.store.engine import transaction
from leadsync.store.golden import IdentityRef, golden_id_from_key, golden_key
from leadsync.sync.context import RunContext, TargetInfo
from leadsync.sync.routing import Router, RoutingConfig
from leadsync.sync.routing.sla import Breach, SpeedToLead
from leadsync.sync.setup import load_owners, target_info
from leadsync.sync.values import same_value
from leadsync.sync.wiring import Wiring


def responded(ctx: RunContext, session: Session, records: Sequence[Record]) -> list[int]:
    """Golden ids whose CRM status differs from what the CRM last showed us (someone acted).

    Call before the refresh overwrites the identities' snapshots.
    """
    target = ctx.target
    status = next((t for t, path in target.canonical_of.items() if path == "stage"), None)
    if ctx.router is None or status is None:
        return []
    refs = [IdentityRef(target.name, target.object, r.id) for r in records]
    known = golden.find_identities(session, refs)
    ids = []
    for record, ref in zip(records, refs, strict=True):
        identity = known.get(ref)
        if identity is None or not identity.snapshot or status not in identity.snapshot:
            continue
        if not same_value(identity.snapshot.get(status), record.fields.get(status)):
            ids.append(identity.golden_id)
    return ids


def record_responses(ctx: RunContext, golden_ids: Iterable[int]) -> int:
    """Stop the SLA clocks of ``golden_ids``."""
    keys = [golden_key(gid) for gid in golden_ids]
    if ctx.router is None or ctx.dry_run or not keys:
        return 0
    return SpeedToLead(ctx.router).record_responses(keys, ctx.clock())


def escalate_job(
    wiring: Wiring,
    factory: sessionmaker[Session],
    job_name: str,
    clock: Callable[[], datetime],
    notify: Callable[[Breach], None] | None = None,
) -> list[Breach]:
    """Escalate the job's overdue leads and write their new owners to the target."""
    project = wiring.project
    if not project.routing:
        return []
    job = project.job(job_name)
    target = target_info(wiring, job)
    load_owners(target)
    config = RoutingConfig.model_validate(project.routing)
    if not config.first_response_minutes:
        return []
    router = Router(config, factory, list(target.owners_by_id.values()), clock)
    breaches = SpeedToLead(router, notify).escalate_due()
    _push_owners(target, factory, [b for b in breaches if b.new_owner is not None], clock)
    return breaches


def _push_owners(
    target: TargetInfo,
    factory: sessionmaker[Session],
    breaches: list[Breach],
    clock: Callable[[], datetime],
) -> None:
    if not breaches or target.owner_field is None:
        return
    with factory() as session:
        ids = [gid for b in breaches if (gid := golden_id_from_key(b.lead_key)) is not None]
        identities = golden.identities_of(session, ids, target.name)
    ops = []
    for breach in breaches:
        gid = golden_id_from_key(breach.lead_key)
        identity = identities.get(gid) if gid is not None else None
        if identity is None or identity.deleted or breach.new_owner is None:
            continue
        fields = {target.owner_field: breach.new_owner.id}
        ops.append(
            (
                gid,
                identity.external_id,
                WriteOp("update", fields, breach.lead_key, id=identity.external_id),
            )
        )
    if not ops:
        return
    results = target.connector.write(target.object, [op for _, _, op in ops])
    with transaction(factory) as session:
        events = [
            audit.Event("write", gid, target.name, target_id, target.owner_field, None,
                        op.fields.get(target.owner_field or ""), "first-response SLA",
                        f"{result.status}: escalated owner {result.error_message or ''}".strip())
            for (gid, target_id, op), result in zip(ops, results, strict=True)
        ]  # fmt: skip
        audit.append(session, events, now=clock(), run_id=None)
