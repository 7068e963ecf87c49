"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadsync import jsoncodec


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless it violates a unique key.

    Returns:
        True when the row was inserted, False when an equal key already existed.
    """
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    statement = module.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    return session.execute(statement).first() is not None


def append_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` in the caller's transaction, as fast as the engine allows.

    The same rows are stored as ``session.execute(table.insert(), rows)`` stores them: every
    value goes through its column's bind processing (UTC timestamps, the store's JSON encoder)
    and a column a row leaves out gets its plain default. What differs is the path: SQLite gets
    one ``executemany`` of tuples (SQLAlchemy building a parameter dict per row cost more than
    SQLite's insert), PostgreSQL one ``COPY`` (psycopg's executemany binds and executes each
    row on its own). Rows with different keys go in as separate groups.

    Raises:
        ValueError: A row names a column the table lacks, or leaves out one whose default is
            computed.
        IntegrityError: A row breaks a constraint (the statement fails as an insert would;
            rows of an earlier key group stay until the caller rolls back).
    """
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    if not groups:
        return
    connection = session.connection()
    dialect = connection.dialect
    for names, group in groups.items():
        defaults = _defaults(table, names)
        columns = [*names, *defaults]
        processors = [_processor(table, name, dialect) for name in columns]
        constants = [
            value if process is None else process(value)
            for value, process in zip(defaults.values(), processors[len(names) :], strict=True)
        ]
        given = list(zip(names, processors[: len(names)], strict=True))
        values = [
            [row[name] if process is None else process(row[name]) for name, process in given]
            + constants
            for row in group
        ]
        if dialect.name == "postgresql":
            _copy(connection, table, columns, values)
        else:
            quote = dialect.identifier_preparer.quote
            sql = (
                f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
            )
            connection.exec_driver_sql(sql, [tuple(v) for v in values])


def _defaults(table: Table, names: tuple[str, ...]) -> dict[str, Any]:
    """The plain defaults of the columns that ``names`` leaves out."""
    for name in names:
        if name not in table.c:
            raise ValueError(f"{table.name} has no column {name!r}")
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in names or default is None:
            continue
        if not default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} has a computed default: give it")
        out[column.name] = cast(Any, default).arg
    return out


def _processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    impl = table.c[name].type.dialect_impl(dialect)
    processor: Callable[[Any], Any] | None = impl.bind_processor(dialect)
    return processor


def _copy(connection: Connection, table: Table, columns: list[str], rows: list[list[Any]]) -> None:
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = (
        f"COPY {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in columns)}) FROM STDIN"
    )
    driver: Any = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy would raise it (callers catch IntegrityError for a duplicate key).
        raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error


def driver_rows_by_key(
    session: Session, table: Table, key: str, columns: Sequence[str], keys: Sequence[int]
) -> Sequence[Any]:
    """Return ``columns`` of the rows of ``table`` whose integer ``key`` is one of ``keys``.

    Rows come back as the driver's tuples, in no particular order. The list is one bound
    parameter however long it is: SQLite reads it from a JSON array, PostgreSQL from an int8
    array sent in binary (its text form costs several times the CPU). Sorted, the lookups walk
    the table's b-tree in order, which takes SQLite a third less time than random probes. The
    statement goes to the driver as text: for the few rows a lookup returns, and for the
    many of the match index, SQLAlchemy's statement and row handling cost more than the query.
    """
    if not keys:
        return []
    connection = session.connection()
    dialect = connection.dialect
    sql = _lookup_sql(dialect, table, key, tuple(columns))
    param: Any = sorted(keys)
    if dialect.name != "postgresql":
        param = jsoncodec.dumps(param)
    result = connection.exec_driver_sql(sql, (param,))
    error_base = dialect.loaded_dbapi.Error
    try:
        return result.cursor.fetchall()
    except error_base as error:
        # As SQLAlchemy would raise it, so callers catch one kind of error on either path.
        raise DBAPIError.instance(sql, None, error, error_base) from error
    finally:
        result.close()


@functools.lru_cache(maxsize=64)
def _lookup_sql(dialect: Dialect, table: Table, key: str, columns: tuple[str, ...]) -> str:
    """The statement of :func:`driver_rows_by_key` (one per table and columns, made once)."""
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    selected = ", ".join(f"{name}.{quote(c)}" for c in columns)
    if dialect.name == "postgresql":
        return f"SELECT {selected} FROM {name} WHERE {quote(key)} = ANY(%b::int8[])"
    # CROSS JOIN keeps the list the outer loop: one primary-key lookup per value.
    return (
        f"SELECT {selected} FROM json_each(?) AS wanted CROSS JOIN {name} "
        f"ON {name}.{quote(key)} = wanted.value"
    )


@functools.lru_cache(maxsize=64)
def _result_processors(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(
        table.c[c].type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
    )


def rows_by_key(
    session: Session, table: Table, key: str, columns: Sequence[str], keys: Sequence[int]
) -> list[tuple[Any, ...]]:
    """:func:`driver_rows_by_key`, with each column's result processing applied.

    The values are what a Core select returns (aware timestamps, decoded JSON).
    """
    processors = _result_processors(session.get_bind().dialect, table, tuple(columns))
    rows = driver_rows_by_key(session, table, key, columns, keys)
    if not any(processors):
        return [tuple(row) for row in rows]
    return [
        tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True))
        for row in rows
    ]
