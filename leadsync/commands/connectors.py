"""``connectors list``: what is installed, with capabilities."""

from __future__ import annotations

import typer

from leadsync.commands.output import state

connectors_app = typer.Typer(help="Installed connectors.", no_args_is_help=True)

COLUMNS = [
    "name",
    "package",
    "roles",
    "objects",
    "batch",
    "upsert keys",
    "cursor",
    "deletes",
    "bulk",
    "status",
]


@connectors_app.command("list")
def list_connectors(ctx: typer.Context) -> None:
    """List connectors found through the ``leadsync.connectors`` entry points."""
    from leadsync.connectors.registry import describe_all

    out = state(ctx)
    infos = describe_all()
    rows = []
    for info in infos:
        caps = info.capabilities
        rows.append(
            [
                info.name,
                info.dist or "",
                "+".join(info.roles),
                ", ".join(caps.objects) if caps else "",
                caps.max_batch_size if caps else "",
                ", ".join(caps.upsert_keys) if caps else "",
                caps.incremental_cursor if caps else "",
                "yes" if caps and caps.deletes else "no",
                "yes" if caps and caps.bulk else "no",
                "ok" if info.error is None else "broken",
            ]
        )
    if out.json_mode:
        out.emit(
            [
                dict(zip(COLUMNS, row, strict=True)) | {"error": info.error}
                for row, info in zip(rows, infos, strict=True)
            ]
        )
        return
    out.table("Installed connectors", COLUMNS, rows)
    for info in infos:
        if info.error:
            out.errors.print(f"{info.name}: {info.error}", markup=False, soft_wrap=True)
