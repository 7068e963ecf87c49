"""``dlq list|show|replay|discard``: the dead-letter queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from leadsync.commands.context import open_store, show_row
from leadsync.commands.output import state
from leadsync.store import dead_letters
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import DeadLetter

dlq_app = typer.Typer(help="Dead-letter queue: failed records and why.", no_args_is_help=True)

Ids = Annotated[list[int], typer.Argument(help="Dead-letter ids.")]


@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    status: Annotated[
        str | None, typer.Option(help="pending, parked, replayed, discarded.")
    ] = None,
) -> None:
    """List dead letters, newest first."""
    factory = session_factory(open_store(ctx))
    with factory() as session:
        rows = [
            [
                d.id,
                d.job,
                d.source,
                d.stage,
                d.error_code,
                d.field,
                d.error_message,
                d.attempts,
                d.status,
            ]
            for d in dead_letters.listing(session, job=job, status=status)
        ]
    state(ctx).table(
        "Dead letters",
        ["id", "job", "record", "stage", "code", "field", "message", "attempts", "status"],
        rows,
    )


@dlq_app.command("show")
def dlq_show(ctx: typer.Context, letter_id: int) -> None:
    """Show one dead letter with the record it holds."""
    show_row(ctx, DeadLetter, letter_id, "dead letter")


@dlq_app.command("replay")
def dlq_replay(ctx: typer.Context, ids: Ids) -> None:
    """Make dead letters due now; the job's next run retries them."""
    factory = session_factory(open_store(ctx))
    with transaction(factory) as session:
        count = dead_letters.requeue(session, ids, datetime.now(UTC))
    _report(ctx, "requeued", count)


@dlq_app.command("discard")
def dlq_discard(ctx: typer.Context, ids: Ids) -> None:
    """Drop dead letters (kept as discarded for the record)."""
    factory = session_factory(open_store(ctx))
    with transaction(factory) as session:
        count = dead_letters.discard(session, ids)
    _report(ctx, "discarded", count)


def _report(ctx: typer.Context, verb: str, count: int) -> None:
    out = state(ctx)
    if out.json_mode:
        out.emit({verb: count})
    else:
        out.console.print(f"{verb} {count} dead letter(s)")
