"""``explain``: why a lead looks the way it does, who owns it and why."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadsync.commands.context import open_store
from leadsync.commands.output import Exit, state
from leadsync.mapping.normalize import email_match_key
from leadsync.store import audit
from leadsync.store.engine import session_factory
from leadsync.store.golden import golden_id_from_key
from leadsync.store.models import GoldenLead, Identity


def explain(
    ctx: typer.Context,
    lead: Annotated[str, typer.Argument(help="Golden id, ls-<id>, an email or a CRM id.")],
) -> None:
    """Show a lead's golden record, identities and decision trail (fields, owner, writes)."""
    out = state(ctx)
    factory = session_factory(open_store(ctx))
    with factory() as session:
        gid = _resolve(session, lead)
        if gid is None:
            raise out.fail(f"no lead matches {lead!r}", Exit.USAGE)
        row = session.get(GoldenLead, gid)
        identities = list(
            session.execute(select(Identity).where(Identity.golden_id == gid)).scalars()
        )
        trail = audit.for_golden(session, gid)
    assert row is not None
    identity_names = [
        f"{i.system}:{i.object}:{i.external_id}" + (" (deleted)" if i.deleted else "")
        for i in identities
    ]
    trail_rows = [
        {"at": e.at, "kind": e.kind, "system": e.system, "record": e.record, "field": e.field,
         "before": e.before, "after": e.after, "rule": e.rule, "detail": e.detail}
        for e in trail
    ]  # fmt: skip
    data = {
        "golden_id": gid,
        "lead": row.data,
        "identities": identity_names,
        "trail": trail_rows,
    }
    if out.json_mode:
        out.emit(data)
        return
    out.console.print(
        f"[bold]golden lead {gid}[/bold]: {row.data.get('first_name', '')} "
        f"{row.data.get('last_name', '')} <{row.data.get('email', '')}>"
    )
    out.console.print("identities: " + ", ".join(identity_names))
    out.table(
        "Decision trail",
        ["at", "kind", "system", "field", "before", "after", "rule", "detail"],
        [
            [
                e["at"],
                e["kind"],
                e["system"],
                e["field"],
                e["before"],
                e["after"],
                e["rule"],
                e["detail"],
            ]
            for e in trail_rows
        ],
    )


def _resolve(session: Session, text: str) -> int | None:
    if text.isdigit():
        return int(text)
    gid = golden_id_from_key(text)
    if gid is not None:
        return gid
    if "@" in text:
        key = email_match_key(text)
        return session.execute(
            select(GoldenLead.id).where(GoldenLead.email_key == key).limit(1)
        ).scalar_one_or_none()
    return session.execute(
        select(Identity.golden_id).where(Identity.external_id == text).limit(1)
    ).scalar_one_or_none()
