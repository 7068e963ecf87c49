"""``demo``: the flagship flow end to end on the built-in sandboxes, no credentials."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from leadsync.commands.output import Output, state


def demo(
    ctx: typer.Context,
    workdir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the demo's project file, CSV and store here (default: a temp dir)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
    leads: Annotated[int, typer.Option(help="Salesforce leads to seed.")] = 300,
) -> None:
    """Start the CRM sandboxes, sync HubSpot + a trade-show CSV + web forms into Salesforce."""
    from leadsync.demo.run import run_demo

    out = state(ctx)
    target = workdir or Path(tempfile.mkdtemp(prefix="leadsync-demo-"))
    if not out.json_mode:
        out.console.print(f"[bold]leadsync demo[/bold] — working in {target}")
    report = run_demo(target, seed=seed, leads=leads)
    from leadsync.demo.render import render

    render(out if isinstance(out, Output) else Output(), report)
