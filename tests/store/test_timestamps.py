"""Stored timestamps: SQLite's one-step bind writes the text SQLAlchemy's DATETIME writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.dialects.sqlite.base import DATETIME

from leadsync.store import models
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import GoldenLead, Stamp

VALUES = [
    datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 15, 30, tzinfo=UTC),  # no microseconds: still six digits
    datetime(5, 1, 1, tzinfo=UTC),  # a year below 1000: still four digits
    datetime(2024, 6, 1, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-7))),
    datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_sqlite_bind_stores_what_sqlalchemy_datetime_stores(value: datetime) -> None:
    dialect = create_engine("sqlite://").dialect
    bind = Stamp.dialect_impl(dialect).bind_processor(dialect)
    sqlalchemy_text = DATETIME().bind_processor(dialect)(value.astimezone(UTC))
    assert bind is not None
    assert bind(value) == sqlalchemy_text
    assert bind(None) is None


def test_sqlite_bind_rejects_naive_datetimes() -> None:
    dialect = create_engine("sqlite://").dialect
    bind = Stamp.dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    with pytest.raises(ValueError, match="naive datetime"):
        bind(datetime(2026, 3, 2, 9, 15))


def test_sqlite_bind_remembers_texts_by_instant_and_stays_bounded() -> None:
    dialect = create_engine("sqlite://").dialect
    bind = Stamp.dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    value = datetime(2026, 3, 2, 9, 15, 30, 5, tzinfo=UTC)
    text_utc = bind(value)
    # The same instant in another zone is remembered under the same key: the same UTC text.
    assert bind(value.astimezone(timezone(timedelta(hours=-7)))) == text_utc
    # A naive datetime with the same wall time still fails, though an equal aware one was seen.
    with pytest.raises(ValueError, match="naive datetime"):
        bind(value.replace(tzinfo=None))
    for i in range(models._STAMP_TEXTS_MAX * 2):
        moment = value + timedelta(seconds=i)
        assert bind(moment) == DATETIME().bind_processor(dialect)(moment)
    assert len(models._STAMP_TEXTS) <= models._STAMP_TEXTS_MAX


def test_timestamps_read_back_as_aware_utc(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        for i, value in enumerate(VALUES):
            session.add(GoldenLead(id=i + 1, data={}, created_at=value, updated_at=value))
    with transaction(factory) as session:
        seen = session.scalars(select(GoldenLead.created_at).order_by(GoldenLead.id)).all()
        # Filtering compares the stored text (SQLite) or timestamps (PostgreSQL) alike.
        later = session.scalars(select(GoldenLead.id).where(GoldenLead.created_at > VALUES[2]))
        if engine.dialect.name == "sqlite":
            stored = session.execute(text("SELECT created_at FROM golden_leads")).scalars()
            assert all(len(s) == 26 for s in stored)
        assert sorted(later) == [1, 2, 4, 5]
    assert seen == [v.astimezone(UTC) for v in VALUES]
    assert all(s.tzinfo is UTC for s in seen)
