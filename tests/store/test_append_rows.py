"""append_rows: the bulk insert path (tuples on SQLite, COPY on PostgreSQL) stores what an
INSERT stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import IntegrityError

from leadsync.store.dialect import append_rows, rows_by_key
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import AuditEntry, GoldenLead, Identity, RecordOutcome, SyncRun

NOW = datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))
GOLDEN = cast(Table, GoldenLead.__table__)
IDENTITIES = cast(Table, Identity.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
OUTCOMES = cast(Table, RecordOutcome.__table__)
RUNS = cast(Table, SyncRun.__table__)


def _golden(i: int, **extra: Any) -> dict[str, Any]:
    data = {"email": "p@acme.example", "name": 'Zoë "Z" O\'Neil\t\\', "tags": [1, None]}
    return {"id": i, "data": data, "email_key": f"p{i}@acme.example", "version": 1,
            "created_at": NOW, "updated_at": NOW.astimezone(BERLIN), **extra}  # fmt: skip


def _identity(i: int, golden_id: int, **extra: Any) -> dict[str, Any]:
    return {"system": "hubspot", "object": "contacts", "external_id": str(i),
            "golden_id": golden_id, "seen_at": NOW, **extra}  # fmt: skip


# Columns that tell the rows apart: the rest must read back alike.
_KEYS = {"id", "external_id", "golden_id", "email_key"}


def _columns(row: Any, table: Table) -> dict[str, Any]:
    return {c.name: getattr(row, c.key) for c in table.columns if c.name not in _KEYS}


def test_appended_rows_read_back_as_inserted_ones(engine: Engine) -> None:
    factory = session_factory(engine)
    events = [
        {"at": NOW, "run_id": None, "golden_id": 1, "kind": "field", "system": "hubspot",
         "record": "hubspot:contacts:1", "field": "email", "before": None,
         "after": {"nested": [1, "two", None]}, "rule": "newest", "detail": "sent 'x'\nkept"},
        {"at": NOW, "run_id": 3, "golden_id": None, "kind": "write", "system": None,
         "record": None, "field": None, "before": 7, "after": 2.5, "rule": None, "detail": None},
    ]  # fmt: skip
    with transaction(factory) as session:
        run = SyncRun(job="j", status="done", started_at=NOW, stats={})
        session.add(run)
        session.flush()
        outcomes = [
            {"run_id": run.id, "source": "hubspot:contacts:1", "golden_id": 1, "action": "create",
             "status": "ok", "target_id": "00Q1", "reason": "new lead", "at": NOW},
            {"run_id": run.id, "source": "csv:rows:7", "golden_id": None, "action": "map",
             "status": "dead_lettered", "target_id": None, "reason": None, "at": NOW},
        ]  # fmt: skip
        append_rows(session, GOLDEN, [_golden(1), _golden(2)])
        session.execute(GOLDEN.insert(), [_golden(3), _golden(4)])
        # Rows with and without a snapshot: left out means SQL NULL, as an insert leaves it.
        with_snapshot = _identity(1, 1, deleted=False, snapshot={"Email": "p1@acme.example"})
        without = _identity(2, 2, deleted=True)
        append_rows(session, IDENTITIES, [with_snapshot, without])
        snapshot = with_snapshot["snapshot"]
        session.execute(IDENTITIES.insert(), [_identity(3, 3, deleted=False, snapshot=snapshot)])
        session.execute(IDENTITIES.insert(), [_identity(4, 4, deleted=True)])
        append_rows(session, AUDIT, events)
        session.execute(AUDIT.insert(), events)
        append_rows(session, OUTCOMES, outcomes)
        session.execute(OUTCOMES.insert(), outcomes)
    with factory() as session:
        goldens = session.execute(select(GoldenLead).order_by(GoldenLead.id)).scalars().all()
        ids = session.execute(select(Identity).order_by(Identity.id)).scalars().all()
        audit = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        outs = session.execute(select(RecordOutcome).order_by(RecordOutcome.id)).scalars().all()
        nulls = session.execute(
            select(Identity.external_id).where(Identity.snapshot.is_(None))
        ).scalars()
        null_snapshots = sorted(nulls)
    for appended, inserted, table in (
        (goldens[:2], goldens[2:], GOLDEN),
        (ids[:2], ids[2:], IDENTITIES),
        (audit[:2], audit[2:], AUDIT),
        (outs[:2], outs[2:], OUTCOMES),
    ):
        left = [_columns(r, table) for r in appended]
        assert left == [_columns(r, table) for r in inserted], table.name
    assert goldens[0].data["name"] == 'Zoë "Z" O\'Neil\t\\'
    assert goldens[0].updated_at == NOW
    assert goldens[0].updated_at.tzinfo == UTC
    assert audit[0].after == {"nested": [1, "two", None]}
    # A bare number reads back (SQLite stores it as a number: the column has numeric affinity).
    assert (audit[1].before, audit[1].after) == (7, 2.5)
    assert [a.detail for a in audit[:2]] == ["sent 'x'\nkept", None]
    assert null_snapshots == ["2", "4"]  # a left-out JSON column is SQL NULL, not JSON null


def test_a_left_out_column_gets_its_plain_default(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        append_rows(session, GOLDEN, [{k: v for k, v in _golden(1).items() if k != "version"}])
        append_rows(session, IDENTITIES, [_identity(1, 1)])  # deleted left out
    with factory() as session:
        assert session.execute(select(GoldenLead.version)).scalar_one() == 1
        assert session.execute(select(Identity.deleted)).scalar_one() is False


def test_a_computed_default_or_unknown_column_is_refused(engine: Engine) -> None:
    factory = session_factory(engine)
    with (
        pytest.raises(ValueError, match="sync_runs.stats has a computed default"),
        transaction(factory) as session,
    ):
        append_rows(session, RUNS, [{"job": "j", "status": "done", "started_at": NOW}])
    with (
        pytest.raises(ValueError, match="identities has no column 'colour'"),
        transaction(factory) as session,
    ):
        append_rows(session, IDENTITIES, [_identity(1, 1, colour="red")])


def test_a_broken_constraint_fails_the_whole_call(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        append_rows(session, GOLDEN, [_golden(1)])
        append_rows(session, IDENTITIES, [_identity(1, 1)])
    with pytest.raises(IntegrityError), transaction(factory) as session:
        append_rows(session, IDENTITIES, [_identity(2, 1), _identity(1, 1)])
    with factory() as session:
        assert session.execute(select(Identity.external_id)).scalars().all() == ["1"]


def test_nothing_to_append_runs_no_statement(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        append_rows(session, AUDIT, [])
    with factory() as session:
        assert session.execute(select(AuditEntry)).first() is None


def test_rows_by_key_reads_what_a_core_select_reads(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        append_rows(session, GOLDEN, [_golden(i) for i in (1, 2, 3)])
        append_rows(
            session,
            AUDIT,
            [{"at": NOW, "kind": "field", "golden_id": 5, "before": 7, "after": None}],
        )
    columns = ("id", "data", "email_key", "version", "created_at", "updated_at")
    with factory() as session:
        fast = rows_by_key(session, GOLDEN, "id", columns, [3, 1, 99])
        core = session.execute(
            select(*(GOLDEN.c[c] for c in columns)).where(GOLDEN.c.id.in_([1, 3]))
        ).all()
        audit = rows_by_key(session, AUDIT, "golden_id", ("before", "after", "at"), [5])
        assert rows_by_key(session, GOLDEN, "id", columns, []) == []
    assert sorted(fast) == sorted(tuple(row) for row in core)
    assert fast[0][4].tzinfo == UTC  # processed like the column's own reads
    assert audit == [(7, None, NOW)]
