"""Ingest a batch of source records into golden leads: map, match, merge (master of record).

Runs inside the caller's transaction. Nothing here talks to a CRM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.connectors.base import Record
from leadsync.jsoncodec import Encoded
from leadsync.mapping import Mapping
from leadsync.mapping.mapping import MapResult
from leadsync.mapping.model import Lead
from leadsync.store import audit, golden
from leadsync.store.dead_letters import Failure
from leadsync.store.golden import IdentityRef
from leadsync.store.models import Identity, ReviewItem
from leadsync.sync.context import RunContext
from leadsync.sync.fold import Folded, fold
from leadsync.sync.matching.keys import MatchKey
from leadsync.sync.matching.stored import BlockHashes
from leadsync.sync.plan import FieldDiff
from leadsync.sync.readahead import Prepared
from leadsync.sync.review import propose
from leadsync.sync.values import jsonable, record_payload, same_value


@dataclass
class Touched:
    """A golden lead changed (or confirmed) by this batch."""

    golden_id: int | None
    lead: Lead
    sources: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    decisions: list[FieldDiff] = field(default_factory=list)
    created: bool = False
    route_rule: str | None = None
    _latest: dict[str, FieldDiff] = field(default_factory=dict, repr=False)

    def decided(self, diffs: list[FieldDiff]) -> None:
        """Add this batch's newest decisions on the lead's fields."""
        self.decisions.extend(diffs)
        for diff in diffs:
            self._latest[diff.field] = diff

    def last_decision(self, field_name: str) -> FieldDiff | None:
        """The newest decision on canonical field ``field_name`` in this batch."""
        return self._latest.get(field_name)


@dataclass
class Ingested:
    """What a batch did to the golden records."""

    touched: dict[int, Touched] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record, why)
    deleted: list[str] = field(default_factory=list)
    matched: int = 0


@dataclass
class _Work:
    """What one ingest call loads up front and writes at the end, so no query runs per record."""

    known: dict[IdentityRef, Identity]
    rows: dict[int, golden.StoredGolden | golden.NewGolden]
    accepted: dict[str, str]  # record -> index key a person accepted for it
    reviewed: dict[tuple[str, str], str]  # (record, index key) -> status of its stored review
    ids: golden.GoldenIds
    new: list[golden.NewGolden] = field(default_factory=list)
    changed: dict[int, golden.StoredGolden] = field(default_factory=dict)  # stored rows changed
    links: dict[IdentityRef, golden.Link] = field(default_factory=dict)
    events: list[audit.Event] = field(default_factory=list)


def index_key(golden_id: int) -> str:
    """The match-index key of a golden lead."""
    return f"g:{golden_id}"


def ingest(
    ctx: RunContext,
    session: Session,
    system: str,
    obj: str,
    mapping: Mapping,
    records: Sequence[Record],
    *,
    key_field: str | None = None,
    keep_snapshot: bool = False,
    prepared: Prepared | None = None,
) -> Ingested:
    """Fold ``records`` from ``system``'s ``obj`` into golden leads.

    Args:
        ctx: The run.
        session: The open transaction.
        system: The connector name the records come from.
        obj: Their object.
        mapping: Their mapping to the canonical model.
        records: The batch, oldest first.
        key_field: For records read back from the target, the field holding a golden key.
        keep_snapshot: Store each record's fields on its identity (for the target's records).
        prepared: ``records``' mapping results and match keys, made by a read-ahead process.
    """
    out = Ingested()
    ctx.index.begin(session)  # lock the match index first: what is read next is then current
    refs = [IdentityRef(system, obj, r.id) for r in records]
    work = _load(session, refs, records)
    premapped = _premap(mapping, system, records, refs, work.known, prepared)
    _prefetch(ctx, work, refs, premapped, prepared)
    # The goldens that share an email or phone with a new record: read in one query what
    # matching would otherwise read one golden at a time.
    likely = [g for g in ctx.index.likely_matches() if g not in work.rows]
    work.rows.update(golden.load_golden(session, likely))
    now = ctx.clock()
    read_fields = mapping.source_fields if keep_snapshot else ()
    for position, (record, ref) in enumerate(zip(records, refs, strict=True)):
        identity = work.known.get(ref)
        if identity is not None and keep_snapshot and _echo(identity.snapshot, record, read_fields):
            # Our own earlier write read back: no new observation to merge (merging it would
            # let the CRM's master rule re-decide fields by where runs happened to stop).
            work.links[ref] = golden.Link(identity.golden_id, jsonable(dict(record.fields)))
            continue
        if record.deleted:
            if identity is not None:
                identity.deleted = True
                if ref in work.links:
                    work.links[ref] = work.links[ref]._replace(deleted=True)
            out.deleted.append(str(ref))
            continue
        mapped = premapped[position] or mapping.to_canonical(
            record.fields, record=str(ref), system=system, observed_at=record.updated_at
        )
        if mapped.lead is None or mapped.action in ("skip", "dead_letter"):
            _map_failure(out, ref, record, mapped)
            continue
        golden_id = identity.golden_id if identity is not None else None
        reason = "known identity" if identity is not None else ""
        if golden_id is None and key_field:
            golden_id = golden.golden_id_from_key(str(record.fields.get(key_field) or ""))
            reason = "carries its golden key" if golden_id else ""
        if golden_id is None:
            golden_id, reason = _match(ctx, session, out, work, ref, mapped.lead, record)
            if golden_id == -1:
                continue
        draft = prepared.drafts[position] if prepared is not None else None
        touched = _merge(
            ctx, session, out, work, system, record, mapped.lead, golden_id, reason, draft
        )
        snapshot = jsonable(dict(record.fields)) if keep_snapshot else None
        work.links[ref] = golden.Link(touched.golden_id or 0, snapshot)
    golden.insert_new(session, work.new)
    golden.save_changed(session, work.changed.values())
    ctx.index.flush()  # after the goldens its rows point at
    golden.link_many(session, work.links, now=now, known=work.known)
    if not ctx.dry_run:
        audit.append(session, work.events, now=now, run_id=ctx.run_id)
    return out


def _premap(
    mapping: Mapping,
    system: str,
    records: Sequence[Record],
    refs: Sequence[IdentityRef],
    known: dict[IdentityRef, Identity],
    prepared: Prepared | None,
) -> Sequence[MapResult | None]:
    """Each record's mapping result by position, made before the loop where it helps.

    Records that may be matched (new, not deleted) are mapped here, so the index reads the
    candidate blocks of all of them in a few queries; the loop maps the others. A read-ahead
    process has mapped every record already.
    """
    if prepared is not None:
        return prepared.mapped
    return [
        mapping.to_canonical(
            record.fields, record=str(ref), system=system, observed_at=record.updated_at
        )
        if ref not in known and not record.deleted
        else None
        for record, ref in zip(records, refs, strict=True)
    ]


def _prefetch(
    ctx: RunContext,
    work: _Work,
    refs: Sequence[IdentityRef],
    premapped: Sequence[MapResult | None],
    prepared: Prepared | None,
) -> None:
    """Have the index read, in bulk, what matching the batch's new records will need."""
    leads: list[Lead] = []
    keyed: list[tuple[Lead, MatchKey, BlockHashes]] = []
    for position, (ref, result) in enumerate(zip(refs, premapped, strict=True)):
        if ref in work.known or result is None or result.lead is None:
            continue
        if prepared is None:
            leads.append(result.lead)
        elif (key := prepared.keys[position]) is not None:
            keyed.append((result.lead, *key))
    ctx.index.prefetch(leads, work.rows, keyed=keyed)


def _echo(snapshot: dict[str, Any] | None, record: Record, read_fields: Sequence[str]) -> bool:
    """True when every mapped field the snapshot knows still holds the snapshot's value."""
    if not snapshot or record.deleted:
        return False
    compared = [f for f in read_fields if f in snapshot]
    return bool(compared) and all(same_value(snapshot[f], record.fields.get(f)) for f in compared)


def _load(session: Session, refs: Sequence[IdentityRef], records: Sequence[Record]) -> _Work:
    known = golden.find_identities(session, refs)
    rows: dict[int, golden.StoredGolden | golden.NewGolden] = {}
    rows.update(golden.load_golden(session, (i.golden_id for i in known.values())))
    unknown = sum(1 for r, ref in zip(records, refs, strict=True) if ref not in known)
    keys = [str(r) for r in refs]
    accepted: dict[str, str] = {}
    reviewed: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), 500):
        found = session.execute(
            select(ReviewItem.left_key, ReviewItem.right_key, ReviewItem.status).where(
                ReviewItem.kind == "match", ReviewItem.left_key.in_(keys[start : start + 500])
            )
        )
        for left, right, status in found:
            reviewed[(left, right)] = status
            if status == "accepted":
                accepted[left] = right
    return _Work(known, rows, accepted, reviewed, golden.GoldenIds(session, unknown))


def _map_failure(out: Ingested, ref: IdentityRef, record: Record, mapped: MapResult) -> None:
    errors, action = list(mapped.errors), mapped.action
    message = "; ".join(str(e) for e in errors) or "record did not map to a lead"
    if action == "skip":
        out.skipped.append((str(ref), message))
        return
    first = errors[0] if errors else None
    out.failures.append(
        Failure(
            source=str(ref),
            payload=record_payload(record),
            stage="map",
            message=message,
            code="INVALID_FIELD_VALUE" if errors else "UNMAPPABLE",
            field=getattr(first, "field", None),
        )
    )


def _match(
    ctx: RunContext,
    session: Session,
    out: Ingested,
    work: _Work,
    ref: IdentityRef,
    lead: Lead,
    record: Record,
) -> tuple[int | None, str]:
    accepted = work.accepted.get(str(ref))
    if accepted is not None:
        return int(accepted[2:]), f"a person accepted the match with {accepted}"
    result = ctx.index.match(lead)
    best = result.best
    if result.decision == "match" and best is not None:
        out.matched += 1
        return int(best.key[2:]), f"matched {best.key} (p={best.probability:.3f})"
    if result.decision == "review" and best is not None:
        payload = record_payload(record)
        if propose(
            session,
            str(ref),
            best.key,
            best.score,
            lead,
            payload,
            now=ctx.clock(),
            stored=work.reviewed,
        ):
            out.reviews.append(str(ref))
            return -1, "review"
        # A person rejected this pair before: the lead is new.
    return None, "no match: new lead"


def _merge(
    ctx: RunContext,
    session: Session,
    out: Ingested,
    work: _Work,
    system: str,
    record: Record,
    incoming: Lead,
    golden_id: int | None,
    reason: str,
    draft: Folded | None = None,
) -> Touched:
    """Fold ``incoming`` into its golden lead (a new one when ``golden_id`` is None).

    ``draft`` is the same fold of a new lead made ahead by a read-ahead process: used when
    the lead is indeed new.
    """
    now = ctx.clock()
    row = _golden_row(session, work, golden_id)
    if golden_id is not None and golden_id in out.touched:
        current: Lead | None = out.touched[golden_id].lead
    else:
        current = Lead.model_validate(row.data) if row is not None else None
    if current is None and draft is not None:
        folded = draft
    else:
        folded = fold(
            current, incoming, system=system, observed_at=record.updated_at, policy=ctx.policy
        )
    merged = folded.lead
    created = row is None
    if row is None:
        # fold() makes data and email_key for a new or changed lead.
        data = cast(dict[str, Any] | Encoded, folded.data)
        row = golden.NewGolden(work.ids.take(), data, folded.email_key, now)
        work.rows[row.id] = row
        work.new.append(row)
    elif folded.changed:
        row.data = cast(dict[str, Any], folded.data)
        row.version, row.updated_at = row.version + 1, now
        row.email_key = folded.email_key
        if isinstance(row, golden.StoredGolden):
            work.changed[row.id] = row  # a new row goes in with insert_new, changes and all
    gid = row.id
    touched = out.touched.setdefault(gid, Touched(gid, merged, created=created))
    touched.lead = merged
    touched.sources.append(f"{system}:{record.object}:{record.id}")
    touched.reasons.append(reason or "new lead")
    # ``after`` is the value kept; what came in (and lost, perhaps) is in the detail.
    touched.decided(folded.diffs)
    source = touched.sources[-1]
    work.events.extend(
        audit.Event("field", gid, system, source, d.field, d.old, d.new, d.rule, detail)
        for d, detail in zip(folded.diffs, folded.details, strict=True)
    )
    ctx.index.update(gid, merged, before=current)
    return touched


def _golden_row(
    session: Session, work: _Work, golden_id: int | None
) -> golden.StoredGolden | golden.NewGolden | None:
    if golden_id is None:
        return None
    row = work.rows.get(golden_id)
    if row is None:
        # A match found by the index (leads made in this batch are in work.rows already).
        row = golden.load_golden(session, (golden_id,)).get(golden_id)
        if row is not None:
            work.rows[golden_id] = row
    return row
