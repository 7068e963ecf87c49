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


def validate(
    ctx: typer.Context,
    online: Annotated[
        bool, typer.Option("--online", help="Also describe each target and check its mapping.")
    ] = False,
) -> None:
    """Check the project file and its mappings; report every problem with its line; exit 2."""
    out = state(ctx)
    path = config_path(ctx)
    project, issues = validate_file(path, section_checks())
    problems = [str(issue) for issue in issues]
    if project is not None and not issues:
        from leadsync.sync.mapcheck import check_mappings
        from leadsync.sync.wiring import Wiring

        wiring = Wiring(project, base_dir=path.parent)
        try:
            problems.extend(check_mappings(wiring, online=online))
        finally:
            wiring.close()
    if out.json_mode:
        out.emit({"file": str(path), "valid": not problems, "issues": problems})
    elif problems:
        for problem in problems:
            out.console.print(problem, markup=False, soft_wrap=True)
        out.console.print(f"{len(problems)} problem(s) found", style="red")
    else:
        out.console.print(f"{path}: valid", style="green")
    if problems:
        raise typer.Exit(int(Exit.USAGE))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the project file (for editor completion)."""
    document = Project.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "leadsync project file"
    typer.echo(json.dumps(document, indent=2))
