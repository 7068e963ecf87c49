"""What commands share: the project file path, the store, and loading both."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import Engine

from leadsync.commands.output import Exit, state
from leadsync.config import Project, load_project
from leadsync.config.runtime import RuntimeSettings
from leadsync.config.sections import section_checks
from leadsync.errors import ConfigError
from leadsync.store.engine import DEFAULT_URL, make_engine, session_factory
from leadsync.store.migrate import ensure_current
from leadsync.store.models import Base


def config_path(ctx: typer.Context) -> Path:
    """The project file chosen by ``--config`` or ``LEADSYNC_CONFIG``."""
    root = ctx.find_root()
    chosen = root.params.get("config")
    return Path(chosen) if chosen else Path(RuntimeSettings().config)


def load(ctx: typer.Context) -> Project:
    """Load the project file or exit 2 listing every problem."""
    try:
        return load_project(config_path(ctx), section_checks())
    except ConfigError as exc:
        raise state(ctx).fail(exc.message, Exit.USAGE) from None


def store_url(ctx: typer.Context, project: Project | None = None) -> str:
    """The store URL: ``--db``, then ``LEADSYNC_DB_URL``, then the project file, then default."""
    chosen = ctx.find_root().params.get("db")
    if chosen:
        return str(chosen)
    env = RuntimeSettings().db_url
    if env:
        return env
    if project is not None:
        return project.store.url
    path = config_path(ctx)
    if path.is_file():
        try:
            return load_project(path).store.url
        except ConfigError:
            pass
    return DEFAULT_URL


def open_store(ctx: typer.Context, project: Project | None = None) -> Engine:
    """Open the store, upgrading an empty or older one automatically."""
    engine = make_engine(store_url(ctx, project))
    ensure_current(engine)
    return engine


def show_row(ctx: typer.Context, model: type[Base], row_id: int, label: str) -> None:
    """Print one stored row as JSON (``dlq show``, ``review show``), or exit 2 if missing."""
    out = state(ctx)
    with session_factory(open_store(ctx))() as session:
        row = session.get(model, row_id)
        if row is None:
            raise out.fail(f"no {label} {row_id}", Exit.USAGE)
        data = {c.name: getattr(row, c.name) for c in model.__table__.columns}
    if out.json_mode:
        out.emit(data)
    else:
        out.console.print_json(json.dumps(data, default=str))
