"""``plan``, ``sync`` and ``runs``: run jobs and look at past runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from leadsync.commands.context import load, open_store
from leadsync.commands.output import Exit, Output, state
from leadsync.commands.render import change_rows, stats_table
from leadsync.errors import ConfigError, LeadsyncError
from leadsync.store.engine import session_factory
from leadsync.store.models import RecordOutcome, SyncRun

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from leadsync.sync.plan import RunStats
    from leadsync.sync.runner import RunReport
    from leadsync.sync.wiring import Wiring

runs_app = typer.Typer(help="Past sync runs.", no_args_is_help=True)

JobArg = Annotated[str, typer.Argument(help="Job name from the project file.")]


def _run(ctx: typer.Context, job: str, *, dry_run: bool) -> tuple[Output, RunReport]:
    out = state(ctx)
    project = load(ctx)
    try:
        project.job(job)
    except KeyError:
        names = ", ".join(j.name for j in project.jobs) or "none"
        raise out.fail(f"unknown job {job!r} (jobs: {names})", Exit.USAGE) from None
    from leadsync.commands.context import config_path
    from leadsync.sync.runner import JobBusyError, run_job
    from leadsync.sync.wiring import Wiring

    wiring = Wiring(project, base_dir=config_path(ctx).parent)
    factory = session_factory(open_store(ctx, project))
    try:
        if out.json_mode:
            return out, run_job(wiring, factory, job, dry_run=dry_run, keep_changes=dry_run)
        return out, _with_progress(out, wiring, factory, job, dry_run)
    except JobBusyError as exc:
        raise out.fail(str(exc), Exit.RUNTIME) from None
    except ConfigError as exc:
        raise out.fail(str(exc), Exit.USAGE) from None
    except LeadsyncError as exc:
        raise out.fail(str(exc), Exit.RUNTIME) from None
    finally:
        wiring.close()


def _with_progress(
    out: Output, wiring: Wiring, factory: sessionmaker[Session], job: str, dry_run: bool
) -> RunReport:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} records"),
        TextColumn("{task.fields[rate]}/s"),
        TimeElapsedColumn(),
    )
    from leadsync.sync.runner import run_job

    with Progress(*columns, console=out.console, transient=True) as bar:
        task = bar.add_task(f"{'planning' if dry_run else 'syncing'} {job}", total=None, rate="0")

        def tick(stats: RunStats) -> None:
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(task, completed=stats.read, rate=f"{stats.read / elapsed:,.0f}")

        return run_job(
            wiring,
            factory,
            job,
            dry_run=dry_run,
            progress=tick,
            keep_changes=dry_run,
        )


def plan(
    ctx: typer.Context,
    job: JobArg,
    limit: Annotated[int, typer.Option(help="Changes to show.")] = 50,
) -> None:
    """Dry run: what the job would create, update or skip, and why. Writes nothing."""
    out, report = _run(ctx, job, dry_run=True)
    rows = change_rows(report.changes)
    if out.json_mode:
        out.emit({"job": job, "stats": report.stats.as_dict(), "changes": rows})
        return
    stats_table(out, f"Plan for {job}", report.stats)
    for row in [r for r in rows if r["action"] != "skip"][:limit]:
        out.console.print(
            f"[bold]{row['action']}[/bold] {', '.join(row['sources'])}: {row['reason']}"
        )
        for diff in row["diffs"]:
            decider = f"  ({diff['system']}, {diff['rule']})" if diff["rule"] else ""
            out.console.print(
                f"    {diff['field']}: {diff['old']!r} → {diff['new']!r}{decider}", markup=False
            )


def sync(ctx: typer.Context, job: JobArg) -> None:
    """Run the job; exit 1 when some records failed."""
    out, report = _run(ctx, job, dry_run=False)
    if out.json_mode:
        out.emit(
            {
                "job": job,
                "run_id": report.run_id,
                "status": report.status,
                "stats": report.stats.as_dict(),
                "error": report.error,
            }
        )
    else:
        stats_table(out, f"Run {report.run_id} of {job}: {report.status}", report.stats)
        if report.error:
            out.console.print(f"[yellow]{report.error}[/yellow]")
    if report.status == "partial":
        raise typer.Exit(int(Exit.PARTIAL))


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    limit: int = 20,
) -> None:
    """List recent runs."""
    factory = session_factory(open_store(ctx))
    with factory() as session:
        query = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
        if job:
            query = query.where(SyncRun.job == job)
        runs = list(session.execute(query).scalars())
    rows = [
        [
            r.id,
            r.job,
            r.status,
            r.started_at,
            r.finished_at,
            r.stats.get("created", 0),
            r.stats.get("updated", 0),
            r.stats.get("dead_lettered", 0),
        ]
        for r in runs
    ]
    state(ctx).table(
        "Runs",
        ["id", "job", "status", "started", "finished", "created", "updated", "dead-lettered"],
        rows,
    )


@runs_app.command("show")
def runs_show(ctx: typer.Context, run_id: int) -> None:
    """Show one run and its per-record outcomes."""
    out = state(ctx)
    factory = session_factory(open_store(ctx))
    with factory() as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise out.fail(f"no run {run_id}", Exit.USAGE)
        outcomes = list(
            session.execute(
                select(RecordOutcome)
                .where(RecordOutcome.run_id == run_id)
                .order_by(RecordOutcome.id)
            ).scalars()
        )
    rows = [[o.source, o.action, o.status, o.target_id, o.reason] for o in outcomes]
    if out.json_mode:
        out.emit(
            {
                "id": run.id,
                "job": run.job,
                "status": run.status,
                "stats": run.stats,
                "error": run.error,
                "outcomes": [
                    dict(zip(["source", "action", "status", "target_id", "reason"], r, strict=True))
                    for r in rows
                ],
            }
        )
        return
    out.console.print(f"run {run.id} of {run.job}: {run.status} {run.stats}")
    out.table("Outcomes", ["source", "action", "status", "target", "reason"], rows)
