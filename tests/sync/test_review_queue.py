"""The match review queue: one open item per pair, a rejected pair never comes back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.mapping.model import Lead
from leadsync.store.engine import transaction
from leadsync.store.models import ReviewItem
from leadsync.sync.review import propose

NOW = datetime(2026, 11, 25, tzinfo=UTC)
LEAD = Lead(email="ana@example.com", first_name="Ana")


def _count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.execute(select(func.count()).select_from(ReviewItem)).scalar_one()


def test_the_same_pair_twice_in_one_batch_is_queued_once(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        assert propose(session, "hubspot:contacts:1", "g:7", 12.0, LEAD, {}, now=NOW)
        assert propose(session, "hubspot:contacts:1", "g:7", 12.0, LEAD, {}, now=NOW)
        assert propose(session, "hubspot:contacts:1", "g:8", 9.0, LEAD, {}, now=NOW)
    assert _count(factory) == 2
    with transaction(factory) as session:  # a later batch finds the stored one
        assert propose(session, "hubspot:contacts:1", "g:7", 12.0, LEAD, {}, now=NOW)
    assert _count(factory) == 2


def test_a_rejected_pair_is_not_proposed_again(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        propose(session, "forms:submission:9", "g:3", 10.0, LEAD, {"id": "9"}, now=NOW)
    with transaction(factory) as session:
        item = session.execute(select(ReviewItem)).scalar_one()
        assert item.detail["lead"]["email"] == "ana@example.com"
        item.status = "rejected"
    with transaction(factory) as session:
        assert not propose(session, "forms:submission:9", "g:3", 10.0, LEAD, {}, now=NOW)
    assert _count(factory) == 1


def test_a_pair_queued_then_rolled_back_is_queued_again(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        assert propose(session, "csv:rows:4", "g:2", 11.0, LEAD, {}, now=NOW)
        session.rollback()  # the batch failed: nothing of it was stored
        assert propose(session, "csv:rows:4", "g:2", 11.0, LEAD, {}, now=NOW)
        session.commit()
    assert _count(factory) == 1


def test_statuses_read_for_the_batch_spare_the_lookup(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        propose(session, "forms:submission:1", "g:3", 10.0, LEAD, {}, now=NOW)
        propose(session, "forms:submission:2", "g:3", 10.0, LEAD, {}, now=NOW)
    with transaction(factory) as session:
        session.execute(
            ReviewItem.__table__.update()
            .where(ReviewItem.left_key == "forms:submission:2")
            .values(status="rejected")
        )
    stored = {("forms:submission:1", "g:3"): "open", ("forms:submission:2", "g:3"): "rejected"}
    statements: list[str] = []
    with transaction(factory) as session:
        listen = lambda *args: statements.append(args[2])  # noqa: E731 - (statement)
        event.listen(session.connection(), "before_cursor_execute", listen)
        assert propose(session, "forms:submission:1", "g:3", 10.0, LEAD, {}, now=NOW, stored=stored)
        assert not propose(
            session, "forms:submission:2", "g:3", 10.0, LEAD, {}, now=NOW, stored=stored
        )
        # Not among the stored pairs: a new item, still without a lookup.
        assert propose(session, "forms:submission:3", "g:3", 10.0, LEAD, {}, now=NOW, stored=stored)
        table = ReviewItem.__tablename__
        assert [s for s in statements if table in s and s.startswith("SELECT")] == []
    assert _count(factory) == 3


def test_a_pair_queued_and_flushed_in_this_session_is_not_queued_twice(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        assert propose(session, "csv:rows:5", "g:2", 11.0, LEAD, {}, now=NOW, stored={})
        session.flush()  # stored (read before it was queued) does not know the pair
        assert propose(session, "csv:rows:5", "g:2", 11.0, LEAD, {}, now=NOW, stored={})
    assert _count(factory) == 1
