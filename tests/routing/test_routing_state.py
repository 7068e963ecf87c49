"""The routing store's bulk paths: index probes for known keys, COPY rows, day counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, event, select
from sqlalchemy.exc import IntegrityError

from leadsync.store import routing_state
from leadsync.store.dialect import append_rows
from leadsync.store.engine import make_engine, session_factory, transaction
from leadsync.store.migrate import alembic_config, upgrade
from leadsync.store.models import AuditEntry, RoutingAssignment

ASSIGNMENTS = cast(Table, RoutingAssignment.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def assignment(i: int, **extra: Any) -> dict[str, Any]:
    return {"lead_key": f"ls-{i}", "team": "sales", "owner": f"rep{i % 3}@acme.example",
            "rule": "all", "day": NOW.date().isoformat(), "at": NOW, **extra}  # fmt: skip


def test_appended_rows_read_back_as_inserted_ones(engine: Engine) -> None:
    # The same values through append_rows (COPY on PostgreSQL) and through a Core insert.
    berlin = timezone(timedelta(hours=1))
    due = datetime(2026, 3, 2, 10, 30, tzinfo=berlin)
    whys = [
        {"at": NOW, "golden_id": 7, "kind": "route", "record": "ls-1", "field": "owner",
         "after": "rep1@acme.example", "rule": "all", "detail": '{"country": "DE"}'},
        {"at": NOW, "golden_id": None, "kind": "route", "record": "ls-2", "field": "owner",
         "after": {"nested": [1, "two", None]}, "rule": "all", "detail": None},
    ]  # fmt: skip
    factory = session_factory(engine)
    with transaction(factory) as session:
        same = {"first_response_due": due, "owner": "ada@acme.example"}
        append_rows(session, ASSIGNMENTS, [assignment(1, **same)])
        session.execute(ASSIGNMENTS.insert(), [assignment(2, **same)])
        append_rows(session, AUDIT, whys)
        session.execute(AUDIT.insert(), whys)
    with factory() as session:
        rows = session.execute(select(RoutingAssignment).order_by(RoutingAssignment.id)).scalars()
        copied, inserted = (
            {c: getattr(r, c) for c in ("team", "owner", "at", "first_response_due")} for r in rows
        )
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert copied == inserted
    assert copied["first_response_due"] == due
    assert copied["first_response_due"].tzinfo == UTC
    fields = ("at", "golden_id", "record", "before", "after", "detail")
    assert [[getattr(e, f) for f in fields] for e in entries[:2]] == [
        [getattr(e, f) for f in fields] for e in entries[2:]
    ]
    assert entries[1].after == {"nested": [1, "two", None]}


def test_a_duplicate_key_in_appended_rows_is_an_integrity_error(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        append_rows(session, ASSIGNMENTS, [assignment(1)])
    with pytest.raises(IntegrityError), transaction(factory) as session:
        append_rows(session, ASSIGNMENTS, [assignment(2), assignment(1)])


def test_known_keys_are_found_by_index_probes_on_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans IN (...) on the unique index by itself")
    factory = session_factory(engine)
    with transaction(factory) as session:  # never analyzed: the planner knows only its size
        append_rows(session, ASSIGNMENTS, [assignment(i) for i in range(3000)])
    keys = [f"ls-{i}" for i in range(2900, 3400)]
    sent: list[tuple[str, Any]] = []
    with factory() as session:
        connection = session.connection()
        listen = lambda *args: sent.append((args[2], args[3]))  # noqa: E731 - (statement, params)
        event.listen(connection, "before_cursor_execute", listen)
        assert sorted(routing_state.existing(session, keys)) == sorted(keys[:100])
        event.remove(connection, "before_cursor_execute", listen)
        ((statement, params),) = sent
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", params).scalars()
        text = "\n".join(plan)
    assert "Index Scan using uq_routing_assignments_lead_key" in text
    assert "Seq Scan on routing_assignments" not in text


def test_upgrade_counts_the_assignments_stored_before(db_url: str) -> None:
    engine = make_engine(db_url)
    before = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0004")
    assert before is not None
    assert isinstance(before.down_revision, str)
    upgrade(engine, before.down_revision)
    rows = [assignment(i) for i in range(7)] + [assignment(9, day="2026-03-01")]
    with engine.begin() as connection:
        connection.execute(ASSIGNMENTS.insert(), rows)
    upgrade(engine)
    with session_factory(engine)() as session:
        owners = [f"rep{i}@acme.example" for i in range(3)]
        assert routing_state.counts_on(session, owners, "2026-03-02") == {
            owners[0]: 3, owners[1]: 2, owners[2]: 2,
        }  # fmt: skip
        assert routing_state.counts_on(session, owners, "2026-03-01") == {owners[0]: 1}
    engine.dispose()
