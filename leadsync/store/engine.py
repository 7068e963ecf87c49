"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (scale-out).

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front,
so two processes never both read-then-write and deadlock; ``busy_timeout`` makes the loser
wait instead of failing. WAL mode lets readers carry on meanwhile. On PostgreSQL, row locks
(``FOR UPDATE SKIP LOCKED``) do the same job; the calling code is identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from leadsync import jsoncodec

DEFAULT_URL = "sqlite:///leadsync.db"


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with leadsync's connection settings.

    Args:
        url: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``.
        **kwargs: Passed to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", jsoncodec.dumps)
    kwargs.setdefault("json_deserializer", _json_column_value)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite store."""
    return engine.dialect.name == "sqlite"


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # psycopg prepares a statement after five runs and PostgreSQL then may switch to a
        # generic plan, which for "key IN ($1..$500)" lookups scanned whole tables (identities:
        # 6 ms -> 70 ms a batch, growing with the table). Plans made for the actual values
        # cost a little planning each time and keep every lookup on its index.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session inside one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session


def _json_column_value(stored: str | bytes | float) -> Any:
    """Decode a JSON column's value.

    SQLite gives a JSON column numeric affinity, so a bare number (an audit entry's old score,
    say) is stored as a number and comes back as one, not as JSON text. That storage is lossy
    for bare numbers only: 1.0 comes back as 1, an integer beyond 64 bits as a rounded float
    (objects and arrays are text and keep every digit). A TEXT-affinity column would fix it
    and needs a migration of every JSON column: not done yet.
    """
    if isinstance(stored, int | float):
        return stored
    return jsoncodec.loads(stored)
