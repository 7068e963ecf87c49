"""Golden (canonical) leads and the identities that tie system records to them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from leadsync.store.models import GoldenLead, Identity

LOAD_CHUNK = 5_000


@dataclass(frozen=True)
class IdentityRef:
    """One system record, as the identities table names it."""

    system: str
    object: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.system}:{self.object}:{self.external_id}"


def golden_key(golden_id: int) -> str:
    """The idempotency key of a golden lead, written to a CRM's external-id field."""
    return f"ls-{golden_id}"


def golden_id_from_key(key: str) -> int | None:
    """Invert :func:`golden_key`; None for anything else."""
    if key.startswith("ls-") and key[3:].isdigit():
        return int(key[3:])
    return None


def find_identities(session: Session, refs: Sequence[IdentityRef]) -> dict[IdentityRef, Identity]:
    """Return the known identities among ``refs`` in one query per chunk."""
    found: dict[IdentityRef, Identity] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        keys = [(r.system, r.object, r.external_id) for r in chunk]
        rows = session.execute(
            select(Identity).where(
                tuple_(Identity.system, Identity.object, Identity.external_id).in_(keys)
            )
        ).scalars()
        for row in rows:
            found[IdentityRef(row.system, row.object, row.external_id)] = row
    return found


def identities_of(session: Session, golden_ids: Iterable[int], system: str) -> dict[int, Identity]:
    """Return, per golden id, its identity in ``system``: newest live one, else a deleted one."""
    ids = list(golden_ids)
    result: dict[int, Identity] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Identity)
            .where(Identity.golden_id.in_(ids[start : start + 500]), Identity.system == system)
            .order_by(Identity.deleted.desc(), Identity.id)
        ).scalars()
        for row in rows:  # live rows sort last, so they win
            result[row.golden_id] = row
    return result


def link(
    session: Session,
    ref: IdentityRef,
    golden_id: int,
    *,
    now: datetime,
    snapshot: dict[str, Any] | None = None,
    deleted: bool = False,
) -> Identity:
    """Create or move the identity ``ref`` onto ``golden_id``."""
    row = session.execute(
        select(Identity).where(
            Identity.system == ref.system,
            Identity.object == ref.object,
            Identity.external_id == ref.external_id,
        )
    ).scalar_one_or_none()
    if row is None:
        row = Identity(system=ref.system, object=ref.object, external_id=ref.external_id)
        session.add(row)
    row.golden_id = golden_id
    row.seen_at = now
    row.deleted = deleted
    if snapshot is not None:
        row.snapshot = snapshot
    return row


def create_golden(
    session: Session, data: dict[str, Any], email_key: str | None, now: datetime
) -> GoldenLead:
    """Insert a golden lead and return it with its id assigned."""
    row = GoldenLead(data=data, email_key=email_key, created_at=now, updated_at=now, version=1)
    session.add(row)
    session.flush()
    return row


def iter_golden(session: Session) -> Iterator[GoldenLead]:
    """Yield every golden lead in id order, a chunk at a time (constant memory per chunk)."""
    last = 0
    while True:
        rows = list(
            session.execute(
                select(GoldenLead)
                .where(GoldenLead.id > last)
                .order_by(GoldenLead.id)
                .limit(LOAD_CHUNK)
            ).scalars()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()
