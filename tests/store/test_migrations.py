from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
