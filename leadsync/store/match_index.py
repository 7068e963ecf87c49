"""The stored match index's tables: read what a batch needs, write what it changed.

A batch reads tens of thousands of rows and writes as many. Every read binds its whole list
(block hashes, golden ids, terms) as one parameter and every write is one statement per kind of
change; both go to the driver as SQL text, and rows come back as the driver's tuples, because
SQLAlchemy's per-row result and parameter processing cost more than the queries themselves.
A block is one row whose members are packed into bytes (see :func:`pack_members`). The logic
that decides what to read and write is in ``leadsync.sync.matching.stored``.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, exists, func, select, update
from sqlalchemy.orm import Session

from leadsync import jsoncodec
from leadsync.store.dialect import driver_rows_by_key, insert_ignore
from leadsync.store.models import GoldenLead, MatchBlock, MatchRecord, MatchState, MatchTerm

_BLOCKS = MatchBlock.__tablename__
_RECORDS = MatchRecord.__tablename__
_TERMS = MatchTerm.__tablename__
_STATE = cast(Table, MatchState.__table__)


@dataclass
class IndexState:
    """The state row: goldens indexed, settings their keys were built with, last write's token.

    The token is the one :func:`new_write_token` gave the index's last write.
    """

    records: int
    built_with: str | None
    write_token: int


def new_write_token() -> int:
    """A token for one write of the index: random, so no two writes share one."""
    return secrets.randbits(62) + 1  # never 0, the token of an index nobody wrote yet


@dataclass
class IndexWrites:
    """What one batch changed, as rows.

    Attributes:
        records: ``(golden_id, packed key)`` to insert or replace.
        dropped: Golden ids that left the index.
        blocks: ``(block_hash, members)`` to insert or replace: the golden ids in the block,
            oldest first, packed by :func:`pack_members`, or None for a block that turned giant.
        emptied: Blocks left without a member.
        terms: Term hash to the change of its count.
    """

    records: list[tuple[int, str]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    blocks: list[tuple[int, bytes | None]] = field(default_factory=list)
    emptied: list[int] = field(default_factory=list)
    terms: dict[int, int] = field(default_factory=dict)


_ONE = struct.Struct("<q").pack  # most blocks hold one golden lead


def pack_members(ids: Sequence[int]) -> bytes:
    """Pack golden ids as little-endian int64s (the same bytes on every machine)."""
    return _ONE(ids[0]) if len(ids) == 1 else struct.pack(f"<{len(ids)}q", *ids)


def unpack_members(data: bytes) -> tuple[int, ...]:
    """Return the golden ids :func:`pack_members` packed, in their order."""
    return struct.unpack(f"<{len(data) >> 3}q", data)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _select(session: Session, model: Any, key: str, value: str, keys: Sequence[int]) -> Any:
    """The ``(key, value)`` driver tuples of ``model``'s rows whose key is one of ``keys``."""
    return driver_rows_by_key(session, model.__table__, key, (key, value), keys)


def lock_state(session: Session) -> IndexState:
    """Read the state row (made on first use), locked until the transaction ends."""
    query = (
        select(MatchState.records, MatchState.built_with, MatchState.write_token)
        .where(MatchState.id == 1)
        .with_for_update()
    )
    row = session.execute(query).first()
    if row is None:
        insert_ignore(session, _STATE, {"id": 1, "records": 0, "built_with": None})
        row = session.execute(query).one()
    return IndexState(row.records, row.built_with, row.write_token)


def save_state(session: Session, state: IndexState) -> None:
    """Write the state row back."""
    session.execute(
        update(_STATE)
        .where(_STATE.c.id == 1)
        .values(records=state.records, built_with=state.built_with, write_token=state.write_token)
    )


def load_blocks(
    session: Session, hashes: Sequence[int]
) -> list[tuple[int, tuple[int, ...] | None]]:
    """Return ``(block_hash, members oldest first)`` of the stored blocks among ``hashes``.

    A giant block's members are None.
    """
    rows = _select(session, MatchBlock, "block_hash", "members", hashes)
    unpack = unpack_members
    return [(h, None if data is None else unpack(data)) for h, data in rows]


def load_records(session: Session, golden_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Return ``(golden_id, packed key)`` of each indexed golden among ``golden_ids``."""
    rows: list[tuple[int, str]] = _select(session, MatchRecord, "golden_id", "key", golden_ids)
    return rows


def load_terms(session: Session, terms: Sequence[int]) -> list[tuple[int, int]]:
    """Return ``(term, count)`` of each term among ``terms`` that has one."""
    rows: list[tuple[int, int]] = _select(session, MatchTerm, "term", "n", terms)
    return rows


def write(session: Session, writes: IndexWrites) -> None:
    """Apply one batch's changes."""
    if writes.dropped:
        _delete(session, _RECORDS, "golden_id", writes.dropped)
    if writes.emptied:
        _delete(session, _BLOCKS, "block_hash", writes.emptied)
    if writes.blocks:
        _upsert(session, _BLOCKS, ("block_hash", "int8"), ("members", "bytea"), writes.blocks)
    if writes.records:
        _upsert(session, _RECORDS, ("golden_id", "int8"), ("key", "text"), writes.records)
    _write_terms(session, writes.terms)


def _delete(session: Session, table: str, key: str, values: Sequence[int], extra: str = "") -> None:
    if _postgres(session):
        sql = f"DELETE FROM {table} WHERE {key} = ANY(%b::int8[]){extra}"
        param: Any = list(values)
    else:
        sql = f"DELETE FROM {table} WHERE {key} IN (SELECT value FROM json_each(?)){extra}"
        param = jsoncodec.dumps(values)
    session.connection().exec_driver_sql(sql, (param,))


def _upsert(
    session: Session,
    table: str,
    key: tuple[str, str],
    value: tuple[str, str],
    rows: Sequence[tuple[Any, Any]],
    update: str | None = None,
) -> None:
    """Insert ``(key, value)`` rows, replacing the value of a key that exists (or ``update``).

    SQLite runs the statement once per row in the driver's own loop; PostgreSQL gets each
    column as one array and inserts them in one statement, which costs a fraction of psycopg's
    executemany (a round of binding and executing per row). Arrays go in binary (``%b``):
    psycopg's text form of an array costs four to ten times as much CPU.
    """
    (k, k_type), (v, v_type) = key, value
    conflict = f"ON CONFLICT ({k}) DO UPDATE SET {v} = {update or f'excluded.{v}'}"
    connection = session.connection()
    if _postgres(session):
        sql = (
            f"INSERT INTO {table} ({k}, {v}) SELECT * FROM unnest(%b::{k_type}[], %b::{v_type}[]) "
            + conflict
        )
        connection.exec_driver_sql(sql, ([row[0] for row in rows], [row[1] for row in rows]))
    else:
        connection.exec_driver_sql(f"INSERT INTO {table} ({k}, {v}) VALUES (?, ?) {conflict}", rows)


def _write_terms(session: Session, deltas: dict[int, int]) -> None:
    changed = sorted((term, n) for term, n in deltas.items() if n)
    if not changed:
        return
    _upsert(session, _TERMS, ("term", "int8"), ("n", "int4"), changed, f"{_TERMS}.n + excluded.n")
    fallen = [term for term, n in changed if n < 0]
    if fallen:
        _delete(session, _TERMS, "term", fallen, " AND n <= 0")


def clear(session: Session, built_with: str) -> IndexState:
    """Empty the index and mark it as built with ``built_with`` (a rebuild starts from here)."""
    for table in (MatchBlock, MatchRecord, MatchTerm):
        session.execute(delete(table))
    state = IndexState(0, built_with, new_write_token())
    save_state(session, state)
    return state


def golden_count(session: Session) -> int:
    """How many golden leads the store holds."""
    return int(session.execute(select(func.count()).select_from(GoldenLead)).scalar_one())


def unindexed_goldens(session: Session, after: int, limit: int) -> list[tuple[int, Any]]:
    """Return ``(id, data)`` of up to ``limit`` golden leads past ``after`` without a key."""
    indexed = exists().where(MatchRecord.golden_id == GoldenLead.id)
    query = (
        select(GoldenLead.id, GoldenLead.data)
        .where(GoldenLead.id > after, ~indexed)
        .order_by(GoldenLead.id)
        .limit(limit)
    )
    return [(golden_id, data) for golden_id, data in session.execute(query)]
