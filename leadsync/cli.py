"""The ``leadsync`` command line: parses, calls library functions, renders.

Exit codes: 0 ok, 1 partial failure (some records failed), 2 usage or configuration error,
3 runtime failure.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from leadsync import __version__
from leadsync.commands.connectors import connectors_app
from leadsync.commands.dedupe import dedupe
from leadsync.commands.demo import demo
from leadsync.commands.dlq import dlq_app
from leadsync.commands.explain import explain
from leadsync.commands.mapping import map_app
from leadsync.commands.output import Output, state
from leadsync.commands.project import config_app, init, validate
from leadsync.commands.review import review_app
from leadsync.commands.runtime import sandbox_app, serve, worker
from leadsync.commands.store import db_app
from leadsync.commands.sync import plan, runs_app, sync
from leadsync.config.runtime import RuntimeSettings

app = typer.Typer(
    name="leadsync",
    help="CRM sync middleware: match before create, master-of-record, routing, reliable jobs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    json_output: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON output.")
    ] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help="Project file \\[env LEADSYNC_CONFIG].", show_default=False
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store URL \\[env LEADSYNC_DB_URL].", show_default=False),
    ] = None,
) -> None:
    """leadsync: keep leads in one piece across web forms, HubSpot and Salesforce."""
    del config, db  # read back through ctx by leadsync.commands.context
    logging.basicConfig(level=RuntimeSettings().log_level.upper())
    ctx.obj = Output(json_mode=json_output)


@app.command()
def version(ctx: typer.Context) -> None:
    """Print the installed version."""
    out = state(ctx)
    if out.json_mode:
        out.emit({"version": __version__})
    else:
        out.console.print(f"leadsync {__version__}")


app.command()(init)
app.command()(validate)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(connectors_app, name="connectors")
app.command()(plan)
app.command()(sync)
app.add_typer(runs_app, name="runs")
app.add_typer(dlq_app, name="dlq")
app.add_typer(review_app, name="review")
app.command()(explain)
app.command()(demo)
app.command()(dedupe)
app.command()(worker)
app.command()(serve)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(map_app, name="map")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; ``--json`` is accepted anywhere on the line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--json" in args:
        args.remove("--json")
        args.insert(0, "--json")
    app(args=args, prog_name="leadsync")
