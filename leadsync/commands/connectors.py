"""``connectors list``: what is installed, with capabilities."""

from __future__ import annotations

import typer

from leadsync.commands.output import state

connectors_app = typer.Typer(help="Installed connectors.", no_args_is_help=True)


@connectors_app.command("list")
def list_connectors(ctx: typer.Context) -> None:
    """List connectors found through the ``leadsync.connectors`` entry points."""
    from leadsync.connectors.registry import describe_all

    rows = []
    for info in describe_all():
        caps = info.capabilities
        rows.append(
            [
                info.name,
                info.distribution,
                ", ".join(caps.objects) if caps else "",
                caps.max_batch_size if caps else "",
                ", ".join(caps.upsert_keys) if caps else "",
                caps.incremental_cursor if caps else "",
                "yes" if caps and caps.deletes else "no",
                "yes" if caps and caps.bulk else "no",
                info.error or "ok",
            ]
        )
    columns = [
        "name",
        "package",
        "objects",
        "batch",
        "upsert keys",
        "cursor",
        "deletes",
        "bulk",
        "status",
    ]
    state(ctx).table("Installed connectors", columns, rows)
