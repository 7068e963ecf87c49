"""A throw-away store for a benchmark: a SQLite file, or a fresh schema of a PostgreSQL URL."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text


def fresh_db(base_url: str | None, workdir: str, name: str) -> tuple[str, Callable[[], None]]:
    """Return a store URL and the function that drops it again.

    Args:
        base_url: ``postgresql+psycopg://...`` for PostgreSQL; None for SQLite.
        workdir: Where the SQLite file goes.
        name: Distinguishes several stores of one run.
    """
    if not base_url:
        return f"sqlite:///{workdir}/store-{name}.db", lambda: None
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.set(query={"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop
