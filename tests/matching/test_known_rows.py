"""The stored index keeps rows it read and wrote between batches, only while they are current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from leadsync.mapping.model import Lead
from leadsync.store import golden
from leadsync.store.engine import session_factory, transaction
from leadsync.sync.matching import MatchSettings
from leadsync.sync.matching.catchup import open_index
from leadsync.sync.matching.stored import StoredMatchIndex

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ANN = Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee", company="Acme")
BOB = Lead(email="bob.ray@acme.com", first_name="Bob", last_name="Ray", company="Acme")


def _new_golden(session: Session, index: StoredMatchIndex, lead: Lead) -> int:
    golden_id = golden.create_golden(session, lead.model_dump(mode="json"), None, NOW).id
    index.update(golden_id, lead)
    return golden_id


def _index_one(factory: sessionmaker[Session], index: StoredMatchIndex, lead: Lead) -> int:
    with transaction(factory) as session:
        index.begin(session, [lead])
        assert index.match(lead).decision == "new"
        golden_id = _new_golden(session, index, lead)
        index.flush()
    return golden_id


def _write_then_roll_back(
    factory: sessionmaker[Session], index: StoredMatchIndex, lead: Lead
) -> None:
    """Index ``lead`` as a new golden, then fail the batch after the index was written."""

    class BatchFailedError(Exception):
        pass

    try:
        with transaction(factory) as session:
            index.begin(session, [lead])
            _new_golden(session, index, lead)
            index.flush()
            raise BatchFailedError
    except BatchFailedError:
        pass


def _match(factory: sessionmaker[Session], index: StoredMatchIndex, lead: Lead) -> str | None:
    with transaction(factory) as session:
        index.begin(session, [lead])
        result = index.match(lead)
        index.flush()
    return result.best.key if result.decision == "match" and result.best else None


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _index_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "match_blocks" in s or "match_records" in s]


def test_rows_the_index_wrote_are_not_read_again(engine: Engine) -> None:
    factory = session_factory(engine)
    ours = open_index(factory, MatchSettings())
    ann_id = _index_one(factory, ours, ANN)
    with _statements(engine) as statements:
        assert _match(factory, ours, ANN) == f"g:{ann_id}"
    assert statements  # the state row was locked
    assert _index_reads(statements) == []
    # A new process knows nothing yet: it reads, and finds the same golden.
    fresh = open_index(factory, MatchSettings())
    with _statements(engine) as statements:
        assert _match(factory, fresh, ANN) == f"g:{ann_id}"
    assert _index_reads(statements)


def test_a_golden_another_job_indexed_meanwhile_is_found(engine: Engine) -> None:
    factory = session_factory(engine)
    ours, theirs = open_index(factory, MatchSettings()), open_index(factory, MatchSettings())
    _index_one(factory, ours, ANN)  # ours now knows ANN's blocks, BOB's do not exist yet
    assert _match(factory, ours, BOB) is None
    bob_id = _index_one(factory, theirs, BOB)
    assert _match(factory, ours, BOB) == f"g:{bob_id}"


def test_a_write_that_was_rolled_back_is_forgotten(engine: Engine) -> None:
    factory = session_factory(engine)
    ours = open_index(factory, MatchSettings())
    _index_one(factory, ours, ANN)
    _write_then_roll_back(factory, ours, BOB)
    # BOB's golden and index rows were rolled back: ours must not offer them as a match.
    assert _match(factory, ours, BOB) is None
    bob_id = _index_one(factory, open_index(factory, MatchSettings()), BOB)
    assert _match(factory, ours, BOB) == f"g:{bob_id}"


def test_a_rollback_and_another_write_never_look_like_our_write(engine: Engine) -> None:
    factory = session_factory(engine)
    ours, theirs = open_index(factory, MatchSettings()), open_index(factory, MatchSettings())
    _index_one(factory, ours, ANN)
    _write_then_roll_back(factory, ours, BOB)
    # Another job's one write after our rolled-back one: a counter would now read as ours.
    carl = Lead(email="carl.fox@acme.com", first_name="Carl", last_name="Fox", company="Acme")
    carl_id = _index_one(factory, theirs, carl)
    assert _match(factory, ours, BOB) is None
    assert _match(factory, ours, carl) == f"g:{carl_id}"


def test_the_rows_kept_stay_under_their_limit(engine: Engine) -> None:
    factory = session_factory(engine)
    index = open_index(factory, MatchSettings())
    index._known.limit = 25  # a handful of leads' blocks, keys and name counts
    sizes = []
    for i in range(12):
        lead = Lead(email=f"p{i}.lee@acme{i}.com", first_name=f"Ann{i}", last_name=f"Lee{i}")
        golden_id = _index_one(factory, index, lead)
        known = index._known
        sizes.append(len(known.blocks) + len(known.keys) + len(known.terms))
        assert _match(factory, index, lead) == f"g:{golden_id}"
    assert max(sizes) <= 25
    assert min(sizes) < max(sizes)  # they were dropped and gathered again
