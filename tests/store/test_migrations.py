from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from leadsync.store.engine import make_engine
from leadsync.store.migrate import (
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    upgrade,
)
from leadsync.store.models import Base


def _diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_downgrade_upgrade_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _diff(engine) == []
    engine.dispose()


def test_orm_metadata_matches_migrated_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    assert _diff(engine) == []
    engine.dispose()


def test_diff_detects_drift(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    downgrade(engine, "base")
    # An empty store differs from the models: the comparison is not vacuous.
    assert _diff(engine)
    engine.dispose()


def test_ensure_current_upgrades_an_empty_store(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    ensure_current(engine)
    assert current_revision(engine) == head_revision()
    ensure_current(engine)  # idempotent
    engine.dispose()


def test_0005_keeps_a_populated_index_state_and_renews_tokens_of_writes_around_the_index(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO match_state (id, records, built_with) VALUES (1, 5, 'v')")
        )
        connection.execute(
            text(
                "INSERT INTO golden_leads (id, data, version, created_at, updated_at) "
                "VALUES (7, '{}', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(text("INSERT INTO match_records (golden_id, key) VALUES (7, 'k')"))
    upgrade(engine)

    def state() -> tuple[int, int]:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT records, write_token FROM match_state")).one()
        return row[0], row[1]

    assert state() == (5, 0)
    with engine.begin() as connection:  # a worker on older code: the token is not set
        connection.execute(text("UPDATE match_state SET records = 6"))
    records, after_update = state()
    assert (records, after_update != 0) == (6, True)
    with engine.begin() as connection:  # a golden deleted around the index
        connection.execute(text("DELETE FROM golden_leads WHERE id = 7"))
    assert state()[1] != after_update
    with engine.begin() as connection:  # a write that sets its own token keeps it
        connection.execute(text("UPDATE match_state SET write_token = 42"))
    assert state() == (6, 42)
    downgrade(engine, "0004")
    assert "write_token" not in {c["name"] for c in inspect(engine).get_columns("match_state")}
    engine.dispose()
