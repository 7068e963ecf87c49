"""The review queue: ambiguous matches and gate-blocked leads wait here for a person.

A decided pair is remembered: a rejected pair is never proposed again, an accepted one links
the incoming record to the candidate on the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from leadsync.mapping.model import Lead
from leadsync.store.models import ReviewItem

_QUEUED = "leadsync.review.queued"  # session.info key: match pairs added in this session
# Built once: constructing the statement cost more than running it.
_MATCH_PAIR = select(ReviewItem).where(
    ReviewItem.kind == "match",
    ReviewItem.left_key == bindparam("left"),
    ReviewItem.right_key == bindparam("right"),
)


def propose(
    session: Session,
    left: str,
    right: str,
    score: float,
    lead: Lead,
    payload: dict[str, Any],
    *,
    now: datetime,
    stored: Mapping[tuple[str, str], str] | None = None,
) -> bool:
    """Queue the pair (``left`` record, ``right`` index key) unless a person rejected it.

    Args:
        session: The open transaction the item is added to.
        left: The incoming record (``system:object:id``).
        right: The index key of the candidate it may be.
        score: The pair's match weight.
        lead: The incoming record's canonical values (shown to the reviewer).
        payload: The incoming record as received.
        now: The queueing time.
        stored: The status of every stored match pair of ``left``, when the caller read them
            already (one query for a whole batch); otherwise the pair is looked up.

    Returns:
        False when the pair was rejected before (the caller treats the lead as new).
    """
    # Pairs queued earlier in this session are remembered in session.info: they are not
    # flushed yet (autoflush before every lookup cost a scan of the whole session), and
    # scanning session.new instead grew with the batch.
    queued: dict[tuple[str, str], ReviewItem] = session.info.setdefault(_QUEUED, {})
    row = queued.get((left, right))
    if row is not None and not (inspect(row).pending or inspect(row).persistent):
        del queued[(left, right)]  # rolled back, never stored: ask the store or the caller
        row = None
    status = row.status if row is not None else None
    if status is None and stored is not None:
        status = stored.get((left, right))
    elif status is None:
        with session.no_autoflush:
            found = session.execute(
                _MATCH_PAIR, {"left": left, "right": right}
            ).scalar_one_or_none()
        status = found.status if found is not None else None
    if status is not None:
        return status != "rejected"
    detail: dict[str, Any] = {
        "lead": lead.model_dump(mode="json", exclude_defaults=True),
        "record": payload,
    }
    item = ReviewItem(
        kind="match",
        left_key=left,
        right_key=right,
        score=score,
        detail=detail,
        status="open",
        created_at=now,
    )
    session.add(item)
    queued[(left, right)] = item
    return True


def block(
    session: Session, record: str, golden_key: str, missing: list[str], *, now: datetime
) -> None:
    """Queue a lead that a stage gate stopped, naming the missing fields."""
    row = session.execute(
        select(ReviewItem).where(
            ReviewItem.kind == "gate",
            ReviewItem.left_key == record,
            ReviewItem.right_key == golden_key,
        )
    ).scalar_one_or_none()
    if row is None:
        row = ReviewItem(kind="gate", left_key=record, right_key=golden_key, created_at=now)
        session.add(row)
    row.status, row.detail = "open", {"missing": missing}


def accepted_match(session: Session, left: str) -> str | None:
    """Return the index key a person accepted for record ``left``, if any."""
    return session.execute(
        select(ReviewItem.right_key).where(
            ReviewItem.kind == "match",
            ReviewItem.left_key == left,
            ReviewItem.status == "accepted",
        )
    ).scalar_one_or_none()


def listing(session: Session, status: str | None = "open") -> list[ReviewItem]:
    """Return review items, oldest first."""
    query = select(ReviewItem).order_by(ReviewItem.id)
    if status:
        query = query.where(ReviewItem.status == status)
    return list(session.execute(query).scalars())


def decide(session: Session, item_id: int, accept: bool, *, now: datetime) -> ReviewItem:
    """Accept or reject one open item.

    Raises:
        KeyError: no such item.
    """
    row = session.get(ReviewItem, item_id)
    if row is None:
        raise KeyError(item_id)
    row.status = "accepted" if accept else "rejected"
    row.decided_at = now
    return row
