"""``db upgrade`` / ``db current``: the store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from leadsync.commands.context import store_url
from leadsync.commands.output import state
from leadsync.store.engine import make_engine
from leadsync.store.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Store schema management.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Run the store's migrations up to REVISION."""
    out = state(ctx)
    engine = make_engine(store_url(ctx))
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    if out.json_mode:
        out.emit({"from": before, "to": after})
    else:
        out.console.print(f"store at revision {after} (was {before or 'empty'})")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the store's revision and the newest one shipped."""
    out = state(ctx)
    engine = make_engine(store_url(ctx))
    data = {"current": current_revision(engine), "head": head_revision()}
    if out.json_mode:
        out.emit(data)
    else:
        out.console.print(f"current {data['current'] or 'empty'}, head {data['head']}")
