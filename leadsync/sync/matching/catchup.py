"""Bring the stored match index level with the golden leads before a run uses it.

Golden leads made by a run are indexed in the same transaction, so the index only falls behind
when the store predates its tables, when goldens were written by other means, or when the
matching settings that keys depend on changed (then it is rebuilt). Catching up runs in chunks,
each its own transaction: memory stays flat and an interrupted catch-up resumes next time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from leadsync.mapping.model import Lead
from leadsync.store import match_index as store
from leadsync.store.engine import transaction
from leadsync.sync.matching.settings import MatchSettings
from leadsync.sync.matching.stored import StoredMatchIndex

CHUNK = 2_000


def open_index(
    factory: sessionmaker[Session], settings: MatchSettings, *, chunk: int = CHUNK
) -> StoredMatchIndex:
    """Return the stored match index for ``settings``, caught up with the golden leads."""
    index = StoredMatchIndex(settings)
    catch_up(factory, index, chunk=chunk)
    return index


def catch_up(factory: sessionmaker[Session], index: StoredMatchIndex, *, chunk: int = CHUNK) -> int:
    """Index the golden leads ``index`` lacks; rebuild it when its settings or size are off.

    Args:
        factory: Store sessions.
        index: The index to bring up to date.
        chunk: Golden leads per transaction.

    Returns:
        How many golden leads were indexed.
    """
    with transaction(factory) as session:
        state = store.lock_state(session)
        goldens = store.golden_count(session)
        if state.built_with == index.built_with and goldens == state.records:
            return 0
        if state.built_with != index.built_with or goldens < state.records:
            # Other settings, or goldens deleted under the index: start again.
            store.clear(session, index.built_with)
    done, after = 0, 0
    while True:
        with transaction(factory) as session:
            index.begin(session)
            rows = store.unindexed_goldens(session, after, chunk)
            index.prefetch(golden_ids=[golden_id for golden_id, _ in rows])
            for golden_id, data in rows:
                index.update(golden_id, Lead.model_validate(data))
            index.flush()
        if not rows:
            return done
        done += len(rows)
        after = rows[-1][0]
