"""The stored match index's tables: read what a batch needs, write what it changed.

Every read takes a list (block hashes, golden ids, terms) and runs one query per chunk; every
write is one executemany per kind of change. The logic that decides what to read and write is
in ``leadsync.sync.matching.stored``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    any_,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadsync import jsoncodec
from leadsync.store.dialect import insert_ignore
from leadsync.store.models import GoldenLead, MatchBlock, MatchRecord, MatchState, MatchTerm

CHUNK = 900  # bound parameters per IN list in deletes (SQLite allows 32,766)
GIANT_MARKER = 0  # the golden_id of a giant block's only row (golden ids start at 1)

_BLOCKS = cast(Table, MatchBlock.__table__)
_RECORDS = cast(Table, MatchRecord.__table__)
_TERMS = cast(Table, MatchTerm.__table__)
_STATE = cast(Table, MatchState.__table__)


@dataclass
class IndexState:
    """The state row: how many goldens are indexed, the next ``seq``, the settings used."""

    records: int
    next_seq: int
    built_with: str | None


@dataclass
class IndexWrites:
    """What one batch changed, as rows.

    Attributes:
        records: ``(golden_id, packed key, seq)`` to insert or replace.
        dropped: Golden ids that left the index.
        unblocked: ``(block_hash, golden_id)`` rows to delete.
        wiped: Blocks that turned giant: every row goes, then a marker row is in ``blocked``.
        blocked: ``(block_hash, golden_id)`` rows to insert.
        terms: Term hash to the change of its count.
    """

    records: list[tuple[int, str, int]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    unblocked: list[tuple[int, int]] = field(default_factory=list)
    wiped: list[int] = field(default_factory=list)
    blocked: list[tuple[int, int]] = field(default_factory=list)
    terms: dict[int, int] = field(default_factory=dict)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def lock_state(session: Session) -> IndexState:
    """Read the state row (made on first use), locked until the transaction ends."""
    query = (
        select(MatchState.records, MatchState.next_seq, MatchState.built_with)
        .where(MatchState.id == 1)
        .with_for_update()
    )
    row = session.execute(query).first()
    if row is None:
        insert_ignore(session, _STATE, {"id": 1, "records": 0, "next_seq": 0, "built_with": None})
        row = session.execute(query).one()
    return IndexState(row.records, row.next_seq, row.built_with)


def save_state(session: Session, state: IndexState) -> None:
    """Write the state row back."""
    session.execute(
        update(_STATE)
        .where(_STATE.c.id == 1)
        .values(records=state.records, next_seq=state.next_seq, built_with=state.built_with)
    )


def _one_of(session: Session, column: Any, values: Sequence[int]) -> ColumnElement[bool]:
    """``column IN values`` as one bound parameter, however many values there are.

    Thousands of values a batch: expanding them into one parameter each costs more than the
    lookups. SQLite reads them from a JSON array, PostgreSQL from an int8 array.
    """
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(BigInteger))
        return cast(ColumnElement[bool], column == any_(array))
    each: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(jsoncodec.dumps(values))
    )
    return cast(ColumnElement[bool], column.in_(each))


def load_blocks(session: Session, hashes: Sequence[int]) -> dict[int, list[int]]:
    """Return the golden ids in each of ``hashes`` (a giant block holds ``GIANT_MARKER``)."""
    out: dict[int, list[int]] = {}
    if hashes:
        query = select(_BLOCKS.c.block_hash, _BLOCKS.c.golden_id).where(
            _one_of(session, _BLOCKS.c.block_hash, hashes)
        )
        for block_hash, golden_id in session.execute(query):
            out.setdefault(block_hash, []).append(golden_id)
    return out


def load_records(session: Session, golden_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """Return ``(packed key, seq)`` of each indexed golden among ``golden_ids``."""
    if not golden_ids:
        return {}
    query = select(_RECORDS.c.golden_id, _RECORDS.c.key, _RECORDS.c.seq).where(
        _one_of(session, _RECORDS.c.golden_id, golden_ids)
    )
    return {golden_id: (key, seq) for golden_id, key, seq in session.execute(query)}


def load_terms(session: Session, terms: Sequence[int]) -> dict[int, int]:
    """Return the count of each term among ``terms`` that has one."""
    if not terms:
        return {}
    query = select(_TERMS.c.term, _TERMS.c.n).where(_one_of(session, _TERMS.c.term, terms))
    return {term: n for term, n in session.execute(query)}


def _insert(session: Session, table: Table) -> Any:
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


def write(session: Session, writes: IndexWrites) -> None:
    """Apply one batch's changes (deletes first, so a wiped block keeps only its marker)."""
    if writes.dropped:
        for chunk in _chunks(writes.dropped):
            session.execute(delete(_RECORDS).where(_RECORDS.c.golden_id.in_(chunk)))
    if writes.wiped:
        for chunk in _chunks(writes.wiped):
            session.execute(delete(_BLOCKS).where(_BLOCKS.c.block_hash.in_(chunk)))
    if writes.unblocked:
        _pairs(session, "DELETE FROM {} WHERE block_hash = ? AND golden_id = ?", writes.unblocked)
    if writes.blocked:
        _pairs(session, "INSERT INTO {} (block_hash, golden_id) VALUES (?, ?)", writes.blocked)
    if writes.records:
        stmt = _insert(session, _RECORDS)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_RECORDS.c.golden_id],
            set_={"key": stmt.excluded.key, "seq": stmt.excluded.seq},
        )
        session.execute(stmt, [{"golden_id": g, "key": k, "seq": s} for g, k, s in writes.records])
    _write_terms(session, writes.terms)


def _pairs(session: Session, sql: str, rows: list[tuple[int, int]]) -> None:
    """Run ``sql`` on ``match_blocks`` once per row, as one DB-API executemany.

    About ten block rows per golden lead: the statement goes to the driver as it is, which
    saves a third of the per-row cost of a Core executemany (a dict per row, then a tuple).
    """
    connection = session.connection()
    sql = sql.format(_BLOCKS.name)
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")  # psycopg
    connection.exec_driver_sql(sql, rows)


def _write_terms(session: Session, deltas: dict[int, int]) -> None:
    changed = sorted((term, n) for term, n in deltas.items() if n)
    if not changed:
        return
    stmt = _insert(session, _TERMS)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TERMS.c.term], set_={"n": _TERMS.c.n + stmt.excluded.n}
    )
    session.execute(stmt, [{"term": term, "n": n} for term, n in changed])
    fallen = [term for term, n in changed if n < 0]
    for chunk in _chunks(fallen):
        session.execute(delete(_TERMS).where(_TERMS.c.term.in_(chunk), _TERMS.c.n <= 0))


def clear(session: Session, built_with: str) -> IndexState:
    """Empty the index and mark it as built with ``built_with`` (a rebuild starts from here)."""
    for table in (_BLOCKS, _RECORDS, _TERMS):
        session.execute(delete(table))
    state = IndexState(0, 0, built_with)
    save_state(session, state)
    return state


def golden_count(session: Session) -> int:
    """How many golden leads the store holds."""
    return int(session.execute(select(func.count()).select_from(GoldenLead)).scalar_one())


def unindexed_goldens(session: Session, after: int, limit: int) -> list[tuple[int, Any]]:
    """Return ``(id, data)`` of up to ``limit`` golden leads past ``after`` without a key."""
    indexed = exists().where(_RECORDS.c.golden_id == GoldenLead.id)
    query = (
        select(GoldenLead.id, GoldenLead.data)
        .where(GoldenLead.id > after, ~indexed)
        .order_by(GoldenLead.id)
        .limit(limit)
    )
    return [(golden_id, data) for golden_id, data in session.execute(query)]
