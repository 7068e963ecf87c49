"""Golden (canonical) leads and the identities that tie system records to them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from leadsync import jsoncodec
from leadsync.store.dialect import append_rows, rows_by_key
from leadsync.store.models import GoldenLead, Identity

LOAD_CHUNK = 5_000
_GOLDEN = cast(Table, GoldenLead.__table__)
_IDENTITIES = cast(Table, Identity.__table__)


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


# Equality on the key's first two columns plus IN on the third uses the unique index (SQLite
# does not for a row-value IN list). Built once: constructing it per chunk cost more than the
# lookup of a batch whose identities are all new.
_FIND_IDENTITIES = select(Identity).where(
    Identity.system == bindparam("system"),
    Identity.object == bindparam("object"),
    Identity.external_id.in_(bindparam("ids", expanding=True)),
)


def find_identities(session: Session, refs: Sequence[IdentityRef]) -> dict[IdentityRef, Identity]:
    """Return the known identities among ``refs`` in one query per object and chunk."""
    by_object: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        by_object.setdefault((ref.system, ref.object), []).append(ref.external_id)
    found: dict[IdentityRef, Identity] = {}
    for (system, obj), ids in by_object.items():
        for start in range(0, len(ids), 500):
            params = {"system": system, "object": obj, "ids": ids[start : start + 500]}
            for row in session.execute(_FIND_IDENTITIES, params).scalars():
                found[IdentityRef(row.system, row.object, row.external_id)] = row
    return found


def identities_of(
    session: Session, golden_ids: Iterable[int], system: str, obj: str | None = None
) -> dict[int, Identity]:
    """Return, per golden id, its newest live identity in ``system`` (else a deleted one).

    With ``obj``, only identities of that object count.
    """
    ids = list(golden_ids)
    result: dict[int, Identity] = {}
    for start in range(0, len(ids), 500):
        query = select(Identity).where(
            Identity.golden_id.in_(ids[start : start + 500]), Identity.system == system
        )
        if obj is not None:
            query = query.where(Identity.object == obj)
        rows = session.execute(query.order_by(Identity.deleted.desc(), Identity.id)).scalars()
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


class Link(NamedTuple):
    """Where :func:`link_many` puts one identity."""

    golden_id: int
    snapshot: dict[str, Any] | None = None
    deleted: bool = False


def link_many(
    session: Session,
    links: Mapping[IdentityRef, Link],
    *,
    now: datetime,
    known: Mapping[IdentityRef, Identity] | None = None,
) -> None:
    """Apply :func:`link` to many identities: one query for the unknown, one bulk insert.

    Args:
        session: The open transaction.
        links: Where each identity goes.
        now: The ``seen_at`` stamp.
        known: Identity rows the caller already loaded (the rest are looked up).
    """
    found = dict(known or {})
    missing = [ref for ref in links if ref not in found]
    if missing and known is not None:
        found.update(find_identities(session, missing))
    elif missing:
        found = find_identities(session, missing)
    new: list[dict[str, Any]] = []
    for ref, link_to in links.items():
        row = found.get(ref)
        if row is None:
            values = {
                "system": ref.system,
                "object": ref.object,
                "external_id": ref.external_id,
                "golden_id": link_to.golden_id,
                "seen_at": now,
                "deleted": link_to.deleted,
            }
            if link_to.snapshot is not None:  # left out, not None: SQL NULL, as link() leaves it
                values["snapshot"] = link_to.snapshot
            new.append(values)
            continue
        row.golden_id, row.seen_at, row.deleted = link_to.golden_id, now, link_to.deleted
        if link_to.snapshot is not None:
            row.snapshot = link_to.snapshot
    if new:
        session.flush()  # the golden rows the new identities point at must exist first
        # Rows without a snapshot leave it out (SQL NULL); append_rows groups them apart.
        append_rows(session, _IDENTITIES, new)
        _analyze_when_grown(session)


def _analyze_when_grown(session: Session) -> None:
    """Analyze identities again once it has grown fourfold since it was last analyzed.

    Without statistics PostgreSQL guesses that ``system = ? AND object = ?`` matches one row,
    so :func:`find_identities` and :func:`identities_of` walk every identity of that object
    through the unique index and filter the rest: 5 ms a lookup at 30k identities, growing with
    the table, about 8 s of server time in a 100k first sync. Statistics from the first batch
    are not enough either: they know only the source system. A first sync is a bulk load,
    which autovacuum (when it runs at all) analyzes a minute or more later; growing fourfold
    costs a handful of quick ANALYZEs per store and none once it is large.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    # relpages is what the last ANALYZE (or VACUUM) saw: 0 when there has been none.
    grown = connection.exec_driver_sql(
        "SELECT pg_relation_size(oid) > 4 * relpages * current_setting('block_size')::bigint"
        " FROM pg_class WHERE oid = to_regclass(%(t)s)",
        {"t": _IDENTITIES.name},
    ).scalar()
    if grown:
        # Not the table's owner: PostgreSQL skips it with a warning rather than failing.
        connection.exec_driver_sql(f"ANALYZE {_IDENTITIES.name}")


class StoredGolden:
    """A golden lead read for change: plain values, written back by :func:`save_changed`.

    Not an ORM object: a batch reads thousands of them, and the ORM's loading and change
    tracking cost several times the query (a single-row ORM select took about 400 us in a
    sync, a Core one under 50 us).
    """

    __slots__ = ("created_at", "data", "email_key", "id", "updated_at", "version")

    def __init__(
        self,
        golden_id: int,
        data: dict[str, Any],
        email_key: str | None,
        version: int,
        created_at: datetime,
        updated_at: datetime,
    ) -> None:
        self.id, self.data, self.email_key, self.version = golden_id, data, email_key, version
        self.created_at, self.updated_at = created_at, updated_at


_COLUMNS = ("id", "data", "email_key", "version", "created_at", "updated_at")
_SAVE = (
    update(_GOLDEN)
    .where(_GOLDEN.c.id == bindparam("b_id"))
    .values(
        data=bindparam("b_data"),
        email_key=bindparam("b_email_key"),
        version=bindparam("b_version"),
        updated_at=bindparam("b_updated_at"),
    )
)


def load_golden(session: Session, golden_ids: Iterable[int]) -> dict[int, StoredGolden]:
    """Return golden leads by id (those that exist), in one query."""
    ids = sorted(set(golden_ids))
    found = rows_by_key(session, _GOLDEN, "id", _COLUMNS, ids)
    return {values[0]: StoredGolden(*values) for values in found}


def save_changed(session: Session, rows: Iterable[StoredGolden]) -> None:
    """Write the data, email key, version and update time of ``rows`` back, in one statement."""
    values = [
        {"b_id": r.id, "b_data": r.data, "b_email_key": r.email_key, "b_version": r.version,
         "b_updated_at": r.updated_at}
        for r in sorted(rows, key=lambda r: r.id)  # id order: the ORM's flush order, fixed locks
    ]  # fmt: skip
    if values:
        session.execute(_SAVE, values)


class NewGolden:
    """A golden lead made in this transaction, inserted with the others by :func:`insert_new`.

    It has the attributes of a :class:`GoldenLead` row that callers read and change.
    """

    def __init__(
        self,
        golden_id: int,
        data: dict[str, Any] | jsoncodec.Encoded,
        email_key: str | None,
        now: datetime,
    ) -> None:
        self.id, self.email_key, self.version = golden_id, email_key, 1
        self.created_at = self.updated_at = now
        # Data encoded ahead (by a read-ahead process) is stored as it came, and decoded only
        # if someone reads it before.
        self._data: dict[str, Any] | jsoncodec.Encoded = data

    @property
    def data(self) -> dict[str, Any]:
        """The golden lead's stored form."""
        if isinstance(self._data, jsoncodec.Encoded):
            self._data = cast(dict[str, Any], self._data.value)
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data = value

    def row(self) -> dict[str, Any]:
        """The row's columns, for an insert."""
        return {
            "id": self.id,
            "data": self._data,
            "email_key": self.email_key,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class GoldenIds:
    """Hands out ids for new golden leads so a batch inserts them in one statement.

    SQLite: the next rowids (the caller holds the write lock, so nobody else takes them).
    PostgreSQL: values of the id column's sequence, reserved for ``expected`` leads at once
    (unused ones are a gap, as a rolled-back insert leaves).
    """

    def __init__(self, session: Session, expected: int) -> None:
        self._session, self._expected = session, max(expected, 1)
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        self._free: list[int] = []
        self._next: int | None = None

    def take(self) -> int:
        """Return an id nobody else uses."""
        if self._sqlite:
            if self._next is None:
                top = self._session.execute(select(func.max(GoldenLead.id))).scalar()
                self._next = (top or 0) + 1
            self._next += 1
            return self._next - 1
        if not self._free:
            query = text(
                "SELECT nextval(pg_get_serial_sequence('golden_leads', 'id'))"
                " FROM generate_series(1, :n)"
            )
            self._free = sorted(self._session.execute(query, {"n": self._expected}).scalars())
            self._free.reverse()
            self._expected = 1
        return self._free.pop()


def insert_new(session: Session, rows: Iterable[NewGolden]) -> None:
    """Insert the golden leads made in this transaction (see ``dialect.append_rows``)."""
    append_rows(session, _GOLDEN, [row.row() for row in rows])


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
