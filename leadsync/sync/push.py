"""Push a planned batch to the target and record what happened, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from leadsync.connectors.base import Record, WriteOp, WriteResult
from leadsync.store import audit, dead_letters, golden
from leadsync.store.dead_letters import Failure
from leadsync.store.dialect import append_rows
from leadsync.store.golden import IdentityRef, golden_key
from leadsync.store.models import RecordOutcome
from leadsync.sync.context import RunContext
from leadsync.sync.plan import Change
from leadsync.sync.values import jsonable, record_payload

_OUTCOMES = cast(Table, RecordOutcome.__table__)  # plain rows, not ORM objects


@dataclass
class Pushed:
    """The target's answers, one per pushed change."""

    results: dict[int, WriteResult] = field(default_factory=dict)  # by index in changes


def to_ops(ctx: RunContext, changes: Sequence[Change]) -> list[tuple[int, WriteOp]]:
    """Build the write operations for the changes that need one."""
    target = ctx.target
    ops = []
    for position, change in enumerate(changes):
        ref = golden_key(change.golden_id or 0)
        if change.action == "update" and change.target_id:
            ops.append((position, WriteOp("update", change.fields, ref, id=change.target_id)))
        elif change.action == "create":
            if target.key_field and target.key_field in change.fields:
                op = WriteOp("upsert", change.fields, ref, key_field=target.key_field)
            else:
                op = WriteOp("create", change.fields, ref)
            ops.append((position, op))
    return ops


def push(ctx: RunContext, changes: Sequence[Change]) -> Pushed:
    """Send the changes' operations to the target: one ``write`` call per object."""
    ops = to_ops(ctx, changes)
    pushed = Pushed()
    if not ops or ctx.dry_run:
        return pushed
    by_object: dict[str, list[tuple[int, WriteOp]]] = {}
    for position, op in ops:
        obj = changes[position].object or ctx.target.object
        by_object.setdefault(obj, []).append((position, op))
    for obj, batch in by_object.items():
        results = ctx.target.connector.write(obj, [op for _, op in batch])
        for (position, _), result in zip(batch, results, strict=True):
            pushed.results[position] = result
    return pushed


def record(
    ctx: RunContext,
    session: Session,
    changes: Sequence[Change],
    pushed: Pushed,
    failures: list[Failure],
    snapshots: dict[int, dict[str, Any]],
    records: dict[str, Record],
) -> None:
    """Store outcomes, target identities, the audit of writes and dead letters.

    Args:
        ctx: The run.
        session: The open transaction (it also advances the checkpoint).
        changes: The planned changes.
        pushed: The target's answers.
        failures: Record-level failures found before the push (mapping, gates).
        snapshots: The target snapshot before this batch, by golden id.
        records: The batch's source records by ``system:object:id`` (kept on dead letters so
            a retry replays them).
    """
    now, target = ctx.clock(), ctx.target
    outcomes: list[dict[str, Any]] = []
    events: list[audit.Event] = []
    links: dict[IdentityRef, golden.Link] = {}
    resolved: list[str] = []
    for position, change in enumerate(changes):
        result = pushed.results.get(position)
        status = "ok"
        if result is not None and not result.ok:
            status = "failed"
            for source in change.sources:
                failures.append(_push_failure(source, change, result, records.get(source)))
        elif result is not None and change.golden_id is not None:
            _remember_target(ctx, links, change, result, snapshots.get(change.golden_id, {}))
            events.append(_write_event(target.name, change, result))
            resolved.extend(change.sources)
        ctx.stats.count(change, failed=status == "failed")
        target_id = result.id if result else change.target_id
        outcomes.extend(
            _outcome(ctx, source, change.action, status, change.reason, now, change, target_id)
            for source in change.sources
        )
    golden.link_many(session, links, now=now)
    dead_letters.resolve_many(session, ctx.job.name, resolved)
    _dead_letter(ctx, session, failures, outcomes, now)
    if ctx.run_id is not None and outcomes:
        append_rows(session, _OUTCOMES, outcomes)
    audit.append(session, events, now=now, run_id=ctx.run_id)


def _dead_letter(
    ctx: RunContext,
    session: Session,
    failures: list[Failure],
    outcomes: list[dict[str, Any]],
    now: datetime,
) -> None:
    for failure in failures:
        dead_letters.put(
            session,
            ctx.job.name,
            failure,
            now=now,
            run_id=ctx.run_id,
            max_attempts=ctx.job.max_attempts,
        )
        ctx.stats.dead_lettered += 1
        outcomes.append(
            _outcome(ctx, failure.source, failure.stage, "dead_lettered", failure.message, now)
        )


def _outcome(
    ctx: RunContext,
    source: str,
    action: str,
    status: str,
    reason: str,
    now: datetime,
    change: Change | None = None,
    target_id: str | None = None,
) -> dict[str, Any]:
    """One ``record_outcomes`` row, as a dict for a multi-row insert."""
    golden_id = change.golden_id if change is not None else None
    return {
        "run_id": ctx.run_id, "source": source, "golden_id": golden_id, "action": action,
        "status": status, "target_id": target_id, "reason": reason[:2000], "at": now,
    }  # fmt: skip


def _push_failure(
    source: str, change: Change, result: WriteResult, original: Record | None
) -> Failure:
    payload = record_payload(original) if original is not None else {}
    return Failure(
        source=source,
        payload={**payload, "golden_id": change.golden_id, "sent": jsonable(change.fields)},
        stage="push",
        message=result.error_message or "rejected by the target",
        code=result.error_code,
        field=result.fields[0] if result.fields else None,
        retryable=result.retryable,
    )


def _remember_target(
    ctx: RunContext,
    links: dict[IdentityRef, golden.Link],
    change: Change,
    result: WriteResult,
    before: dict[str, Any],
) -> None:
    target = ctx.target
    target_id = result.id or change.target_id
    if target_id is None or change.golden_id is None:
        return
    snapshot = {**before, **jsonable(change.fields)}
    obj = change.object or target.object
    links[IdentityRef(target.name, obj, target_id)] = golden.Link(change.golden_id, snapshot)
    change.target_id = target_id


def _write_event(system: str, change: Change, result: WriteResult) -> audit.Event:
    before = {d.field: jsonable(d.old) for d in change.diffs}
    after = {d.field: jsonable(d.new) for d in change.diffs}
    rule = change.route_rule and f"owner by routing rule {change.route_rule}"
    return audit.Event(
        "write",
        change.golden_id,
        system,
        result.id,
        None,
        before,
        after,
        rule,
        f"{result.status}: {change.reason}"[:2000],
    )
