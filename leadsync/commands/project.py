"""``init``, ``validate`` and ``config schema``: the project file commands."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from leadsync.commands.context import config_path
from leadsync.commands.output import Exit, state
from leadsync.config import validate_file
from leadsync.config.project import Project
from leadsync.config.sections import section_checks

config_app = typer.Typer(help="Project file utilities.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write the starter file.")] = Path(
        "leadsync.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter project file."""
    out = state(ctx)
    if path.exists() and not force:
        raise out.fail(f"{path} exists (use --force to overwrite)", Exit.USAGE)
    starter = resources.files("leadsync.config").joinpath("starter.yaml").read_text("utf-8")
    path.write_text(starter, encoding="utf-8")
    if out.json_mode:
        out.emit({"written": str(path)})
    else:
        out.console.print(f"wrote {path}; next: [bold]leadsync validate -c {path}[/bold]")


def validate(ctx: typer.Context) -> None:
    """Check the project file and report every problem with its line; exit 2 if any."""
    out = state(ctx)
    path = config_path(ctx)
    _project, issues = validate_file(path, section_checks())
    if out.json_mode:
        out.emit({"file": str(path), "valid": not issues, "issues": [i.__dict__ for i in issues]})
    elif issues:
        for issue in issues:
            out.console.print(str(issue), markup=False, soft_wrap=True)
        out.console.print(f"{len(issues)} problem(s) found", style="red")
    else:
        out.console.print(f"{path}: valid", style="green")
    if issues:
        raise typer.Exit(int(Exit.USAGE))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the project file (for editor completion)."""
    document = Project.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "leadsync project file"
    typer.echo(json.dumps(document, indent=2))
