"""``review list|show|accept|reject``: ambiguous matches and gate-blocked leads."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.commands.context import open_store, show_row
from leadsync.commands.output import Exit, state
from leadsync.store import dead_letters
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import RecordOutcome, ReviewItem, SyncRun
from leadsync.sync import review

review_app = typer.Typer(help="Review queue for ambiguous matches.", no_args_is_help=True)


@review_app.command("list")
def review_list(ctx: typer.Context, all_items: bool = typer.Option(False, "--all")) -> None:
    """List open review items (``--all`` for decided ones too)."""
    factory = session_factory(open_store(ctx))
    with factory() as session:
        items = review.listing(session, None if all_items else "open")
        rows = [
            [
                i.id,
                i.kind,
                i.left_key,
                i.right_key,
                f"{i.score:.2f}" if i.score is not None else "",
                i.status,
                ", ".join(i.detail.get("missing", [])),
            ]
            for i in items
        ]
    state(ctx).table(
        "Review queue", ["id", "kind", "record", "candidate", "score", "status", "missing"], rows
    )


@review_app.command("show")
def review_show(ctx: typer.Context, item_id: int) -> None:
    """Show one item with the incoming lead."""
    show_row(ctx, ReviewItem, item_id, "review item")


@review_app.command("accept")
def review_accept(ctx: typer.Context, item_id: int) -> None:
    """Accept the match: the record is linked to the candidate on the job's next run."""
    _decide(ctx, item_id, accept=True)


@review_app.command("reject")
def review_reject(ctx: typer.Context, item_id: int) -> None:
    """Reject the match: the pair is never proposed again and the record syncs as new."""
    _decide(ctx, item_id, accept=False)


def _decide(ctx: typer.Context, item_id: int, *, accept: bool) -> None:
    out = state(ctx)
    factory = session_factory(open_store(ctx))
    now = datetime.now(UTC)
    try:
        with transaction(factory) as session:
            item = review.decide(session, item_id, accept, now=now)
            record = item.detail.get("record")
            if item.kind == "match" and isinstance(record, dict):
                # Queue the record for replay so the next run applies the decision.
                for job in _jobs_of(session, item.left_key):
                    failure = dead_letters.Failure(
                        item.left_key, record, "review", "decided in review", retryable=True
                    )
                    letter = dead_letters.put(
                        session, job, failure, now=now, run_id=None, max_attempts=99
                    )
                    letter.next_attempt_at = now
    except KeyError:
        raise out.fail(f"no review item {item_id}", Exit.USAGE) from None
    verdict = "accepted" if accept else "rejected"
    if out.json_mode:
        out.emit({"id": item_id, "status": verdict})
    else:
        out.console.print(f"review item {item_id} {verdict}")


def _jobs_of(session: Session, source: str) -> list[str]:
    """The jobs that have read ``source`` (its decided record is replayed by each of them)."""
    rows = session.execute(
        select(SyncRun.job)
        .join(RecordOutcome, RecordOutcome.run_id == SyncRun.id)
        .where(RecordOutcome.source == source)
        .distinct()
    ).scalars()
    return list(rows)
