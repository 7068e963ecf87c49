"""Connection settings every store connection must carry."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text


def test_postgresql_plans_each_lookup_for_its_values(engine: Engine) -> None:
    # A generic plan for "external_id IN ($1..$100)" scanned the whole identities table once
    # psycopg had prepared the statement; custom plans keep lookups on the index.
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.rollback()  # a rolled-back transaction must not undo the session setting
        mode = connection.execute(text("SHOW plan_cache_mode")).scalar_one()
    assert mode == "force_custom_plan"
    engine.dispose()
    with engine.connect() as connection:  # and every new connection has it
        assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == mode
