"""The stored index keeps rows it read and wrote between batches, only while they are current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, update
from sqlalchemy.orm import Session, sessionmaker

from leadsync.mapping.model import Lead
from leadsync.store import golden, match_index
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import GoldenLead, MatchState
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

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append(f"{statement} {parameters!r}")

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _key_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "match_records" in s]


def test_keys_and_dense_blocks_the_index_wrote_are_not_read_again(engine: Engine) -> None:
    factory = session_factory(engine)
    ours = open_index(factory, MatchSettings())
    ann_id = _index_one(factory, ours, ANN)
    # Another Ann at Acme: the "Acme + Ann" block now holds two goldens and is kept.
    fox = Lead(email="ann.fox@acme.com", first_name="Ann", last_name="Fox", company="Acme")
    fox_id = _index_one(factory, ours, fox)
    dense = {h for h, members in ours._known.blocks.items() if members == (ann_id, fox_id)}
    assert len(dense) == 1
    with _statements(engine) as statements:
        assert _match(factory, ours, ANN) == f"g:{ann_id}"
    assert statements  # the state row was locked
    assert _key_reads(statements) == []  # both candidates' keys came from memory
    assert not any(str(h) in s for h in dense for s in statements)  # nor that block
    # A new process knows nothing yet: it reads, and finds the same golden.
    fresh = open_index(factory, MatchSettings())
    with _statements(engine) as statements:
        assert _match(factory, fresh, ANN) == f"g:{ann_id}"
    assert _key_reads(statements)


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
    index._known.limit = 6  # two or three leads' keys and name counts
    sizes = []
    for i in range(12):
        lead = Lead(email=f"p{i}.lee@acme{i}.com", first_name=f"Ann{i}", last_name=f"Lee{i}")
        golden_id = _index_one(factory, index, lead)
        known = index._known
        sizes.append(len(known.blocks) + len(known.keys) + len(known.terms))
        # Past the limit, the rows the last batch used stay: what the next batch will want.
        assert golden_id in known.keys
        assert _match(factory, index, lead) == f"g:{golden_id}"
    assert max(sizes) <= 6  # measured after flush(), where the bound applies
    assert min(sizes) < max(sizes)  # they were dropped and gathered again


def test_rows_a_batch_used_are_dropped_when_they_alone_pass_half_the_limit(
    engine: Engine,
) -> None:
    factory = session_factory(engine)
    index = open_index(factory, MatchSettings())
    index._known.limit = 2  # fewer than one lead's key and two name counts
    for i in range(3):
        lead = Lead(email=f"q{i}.kim@corp{i}.com", first_name=f"Bo{i}", last_name=f"Kim{i}")
        golden_id = _index_one(factory, index, lead)
        known = index._known
        assert (known.blocks, known.keys, known.terms) == ({}, {}, {})
        assert _match(factory, index, lead) == f"g:{golden_id}"


def test_a_golden_deleted_elsewhere_is_no_longer_offered(engine: Engine) -> None:
    factory = session_factory(engine)
    ours = open_index(factory, MatchSettings())
    ann_id = _index_one(factory, ours, ANN)
    assert _match(factory, ours, ANN) == f"g:{ann_id}"
    with transaction(factory) as session:  # not through the index: its key row cascades
        session.execute(delete(GoldenLead).where(GoldenLead.id == ann_id))
    assert _match(factory, ours, ANN) is None


def test_an_index_write_that_keeps_the_old_token_still_changes_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = session_factory(engine)
    ours, theirs = open_index(factory, MatchSettings()), open_index(factory, MatchSettings())
    _index_one(factory, ours, ANN)
    assert _match(factory, ours, BOB) is None

    def save_state_as_before_0005(session: Session, state: match_index.IndexState) -> None:
        session.execute(
            update(MatchState)
            .where(MatchState.id == 1)
            .values(records=state.records, built_with=state.built_with)
        )

    # A worker still running older code writes the index without touching the token.
    monkeypatch.setattr(match_index, "save_state", save_state_as_before_0005)
    bob_id = _index_one(factory, theirs, BOB)
    monkeypatch.undo()
    assert _match(factory, ours, BOB) == f"g:{bob_id}"


def test_a_flush_that_failed_half_way_is_forgotten(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = session_factory(engine)
    ours = open_index(factory, MatchSettings())
    _index_one(factory, ours, ANN)

    def broken_write(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(match_index, "write", broken_write)
    with transaction(factory) as session:
        ours.begin(session, [BOB])
        _new_golden(session, ours, BOB)
        with pytest.raises(OSError, match="disk full"):
            ours.flush()
        session.rollback()
    monkeypatch.undo()
    assert _match(factory, ours, BOB) is None
