"""StoredMatchIndex: the match index in the store, read and written one batch at a time.

Memory holds one batch, never the index. :meth:`StoredMatchIndex.begin` locks the index (its
state row; SQLite's write lock does it already) and reads, in a few chunked queries, the blocks
of the batch's incoming records, the keys of their members and of the goldens the batch will
re-index, and the name counts. Matching then runs on that cache plus what earlier records of
the batch changed, exactly as the in-memory :class:`MatchIndex` would (same blocks, block
order, giant-block cap, counts and scoring: both inherit :class:`Matcher`).
:meth:`StoredMatchIndex.flush` writes the changes in the caller's transaction, so they commit
or roll back with the golden leads they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from leadsync.errors import FatalError
from leadsync.mapping.model import Lead
from leadsync.store import match_index as store
from leadsync.sync.matching.blocks import BlockStore, stable_hash
from leadsync.sync.matching.keys import (
    KEY_VERSION,
    MatchKey,
    blocking_keys,
    build_key,
    pack_key,
    same_key_fields,
    unpack_key,
)
from leadsync.sync.matching.result import MatchResult
from leadsync.sync.matching.scorer import Frequencies, Matcher
from leadsync.sync.matching.settings import MatchSettings

KEY_PREFIX = "g:"  # candidate keys are "g:<golden id>", as ingest expects


@dataclass
class _Batch:
    """What one batch has read and changed."""

    session: Session
    state: store.IndexState
    blocks: BlockStore
    initial: dict[int, Sequence[int] | None] = field(default_factory=dict)  # as read; None: giant
    pending: dict[int, list[tuple[bool, int]]] = field(default_factory=dict)  # on unread blocks
    touched: set[int] = field(default_factory=set)
    stored: dict[int, tuple[MatchKey, int] | None] = field(default_factory=dict)  # as read
    changed: dict[int, tuple[MatchKey, int] | None] = field(default_factory=dict)  # None: gone
    terms: dict[int, int] = field(default_factory=dict)
    deltas: dict[int, int] = field(default_factory=dict)
    premade: dict[int, tuple[Lead, MatchKey]] = field(default_factory=dict)  # by id(lead)
    last: tuple[Lead, MatchKey] | None = None


@dataclass(frozen=True, slots=True)
class _Hashes:
    """The stable hashes of one MatchKey: its blocks, name terms, email and phone blocks."""

    blocks: list[int]
    first: int | None
    last: int | None
    email: int | None
    phone: int | None

    @property
    def terms(self) -> list[int]:
        return [t for t in (self.first, self.last) if t is not None]


def _hashes_of(rec: MatchKey) -> _Hashes:
    names = blocking_keys(rec)
    blocks = [stable_hash(name) for name in names]
    return _Hashes(
        blocks,
        stable_hash("f|" + rec.first) if rec.first else None,
        stable_hash("l|" + rec.last) if rec.last else None,
        blocks[names.index("e|" + rec.email)] if rec.email else None,
        blocks[names.index("p|" + rec.phone)] if rec.phone else None,
    )


class StoredMatchIndex(Matcher):
    """Match index kept in the store's ``match_*`` tables.

    Args:
        settings: Thresholds, m/u overrides, block cap and phone region.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        super().__init__(settings)
        self._batch: _Batch | None = None
        self._hashes: dict[MatchKey, _Hashes] = {}

    @property
    def built_with(self) -> str:
        """What stored keys and blocks depend on; another value means they must be rebuilt."""
        s = self.settings
        return f"v{KEY_VERSION} region={s.default_region} cap={s.max_block_size}"

    def key_of(self, lead: Lead) -> MatchKey:
        """Build the comparison record of ``lead`` with this index's settings."""
        return build_key(lead, self.settings.default_region)

    def begin(
        self, session: Session, leads: Iterable[Lead] = (), golden_ids: Iterable[int] = ()
    ) -> None:
        """Start a batch in ``session``'s transaction: lock the index, then :meth:`prefetch`.

        The lock (the state row's, or SQLite's write lock) holds until the transaction ends, so
        two jobs never match against each other's unfinished batches.

        Args:
            session: The open transaction; :meth:`flush` writes in it.
            leads: The incoming leads the batch will match.
            golden_ids: Golden leads the batch may re-index (their current keys are read).

        Raises:
            FatalError: The stored index was built with other matching settings.
        """
        state = store.lock_state(session)
        if state.built_with != self.built_with:
            raise FatalError(
                f"the match index was built with {state.built_with!r}, this run uses "
                f"{self.built_with!r}: run the job again to rebuild it"
            )
        self._batch = _Batch(session, state, BlockStore(self.settings.max_block_size))
        self._hashes = {}
        self.prefetch(leads, golden_ids)

    def prefetch(self, leads: Iterable[Lead] = (), golden_ids: Iterable[int] = ()) -> None:
        """Read what matching ``leads`` and re-indexing ``golden_ids`` will need, in bulk."""
        batch = self._need_batch()
        recs = []
        for lead in leads:
            rec = self.key_of(lead)
            batch.premade[id(lead)] = (lead, rec)
            recs.append(rec)
        self._read_records(golden_ids)
        self._read_blocks({h for rec in recs for h in self._hashes_of(rec).blocks})
        self._read_terms(recs)

    def flush(self) -> None:
        """Write what the batch changed and end it."""
        batch = self._need_batch()
        self._read_blocks([h for h in batch.pending if h not in batch.initial], ordered=False)
        writes = store.IndexWrites(terms=batch.deltas)
        _block_writes(batch, writes)
        for golden_id, entry in batch.changed.items():
            if entry is None:
                writes.dropped.append(golden_id)
            else:
                writes.records.append((golden_id, pack_key(entry[0]), entry[1]))
        store.write(batch.session, writes)
        if batch.changed:
            store.save_state(batch.session, batch.state)
        self._batch, self._hashes = None, {}

    def __len__(self) -> int:
        return self._need_batch().state.records

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not key.startswith(KEY_PREFIX):
            return False
        return self._current(int(key[len(KEY_PREFIX) :])) is not None

    def match(
        self,
        lead: Lead,
        *,
        object_kind: str = "person",
        exclude: Callable[[str], bool] | None = None,
    ) -> MatchResult:
        """Decide whether ``lead`` is already in the index (see :meth:`Matcher.match_key`)."""
        batch = self._need_batch()
        premade = batch.premade.pop(id(lead), None)
        if premade is not None and premade[0] is lead:
            rec = premade[1]
        else:  # a lead begin() was not told about: read what it needs now
            rec = self.key_of(lead)
            self._read_blocks(h for h in self._hashes_of(rec).blocks if h not in batch.initial)
            self._read_terms([rec])
        batch.last = (lead, rec)
        return self.match_key(rec, object_kind=object_kind, exclude=exclude)

    def update(self, golden_id: int, lead: Lead, before: Lead | None = None) -> None:
        """Index golden lead ``golden_id`` with the values of ``lead``.

        Args:
            golden_id: The golden lead.
            lead: Its values now.
            before: Its values as last indexed (if the fields keys are built from did not
                change, nothing is done); None for a golden lead made in this transaction,
                which is then not looked up in the store.
        """
        batch = self._need_batch()
        new = before is None and golden_id not in batch.changed and golden_id not in batch.stored
        old = None if new else self._current(golden_id)
        if old is not None and before is not None and same_key_fields(lead, before):
            return
        # A merged lead that kept the fields of the lead just matched has its key already.
        last = batch.last
        same = last is not None and same_key_fields(lead, last[0])
        rec = last[1] if last is not None and same else self.key_of(lead)
        if rec == old:
            return
        if old is not None:
            self._apply(golden_id, old, add=False)
        else:
            batch.state.records += 1
        batch.changed[golden_id] = (rec, batch.state.next_seq)
        batch.state.next_seq += 1
        self._apply(golden_id, rec, add=True)

    def remove(self, golden_id: int) -> bool:
        """Take golden lead ``golden_id`` out of the index; return whether it was in it."""
        batch = self._need_batch()
        old = self._current(golden_id)
        if old is None:
            return False
        self._apply(golden_id, old, add=False)
        batch.state.records -= 1
        batch.changed[golden_id] = None
        return True

    # -- the Matcher hooks ------------------------------------------------------------------
    def _candidates(self, rec: MatchKey) -> list[tuple[str, MatchKey]]:
        batch = self._need_batch()
        ids = batch.blocks.lookup_hashed(self._hashes_of(rec).blocks, self.settings.max_candidates)
        out = []
        for golden_id in ids:
            other = self._current(golden_id)
            if other is not None:  # a block row whose golden is gone is no candidate
                out.append((f"{KEY_PREFIX}{golden_id}", other))
        return out

    def _frequencies(self, rec: MatchKey) -> Frequencies:
        batch, hashes = self._need_batch(), self._hashes_of(rec)
        blocks = batch.blocks
        return Frequencies(
            batch.state.records,
            blocks.size_hashed(hashes.email) if hashes.email is not None else 0,
            blocks.size_hashed(hashes.phone) if hashes.phone is not None else 0,
            self._term_count(hashes.first) if hashes.first is not None else 0,
            self._term_count(hashes.last) if hashes.last is not None else 0,
        )

    # -- the batch cache ----------------------------------------------------------------------
    def _need_batch(self) -> _Batch:
        if self._batch is None:
            raise RuntimeError("StoredMatchIndex used outside begin() ... flush()")
        return self._batch

    def _hashes_of(self, rec: MatchKey) -> _Hashes:
        hashes = self._hashes.get(rec)
        if hashes is None:
            hashes = self._hashes[rec] = _hashes_of(rec)
        return hashes

    def _current(self, golden_id: int) -> MatchKey | None:
        batch = self._need_batch()
        if golden_id in batch.changed:
            entry = batch.changed[golden_id]
        else:
            if golden_id not in batch.stored:
                self._read_records([golden_id])
            entry = batch.stored[golden_id]
        return entry[0] if entry is not None else None

    def _apply(self, golden_id: int, rec: MatchKey, *, add: bool) -> None:
        batch, hashes = self._need_batch(), self._hashes_of(rec)
        for h in hashes.blocks:
            batch.touched.add(h)
            if h not in batch.initial:
                batch.pending.setdefault(h, []).append((add, golden_id))
            elif add:
                batch.blocks.add_hashed(golden_id, (h,))
            else:
                batch.blocks.remove_hashed(golden_id, (h,))
        step = 1 if add else -1
        for term in hashes.terms:
            batch.deltas[term] = batch.deltas.get(term, 0) + step

    def _term_count(self, term: int) -> int:
        batch = self._need_batch()
        return batch.terms.get(term, 0) + batch.deltas.get(term, 0)

    def _read_records(self, golden_ids: Iterable[int]) -> None:
        batch = self._need_batch()
        wanted = list({g for g in golden_ids if g not in batch.stored})
        found = store.load_records(batch.session, wanted)
        for golden_id in wanted:
            entry = found.get(golden_id)
            batch.stored[golden_id] = (unpack_key(entry[0]), entry[1]) if entry else None

    def _read_blocks(self, hashes: Iterable[int], *, ordered: bool = True) -> None:
        """Read blocks, members oldest first when ``ordered``, then replay pending changes."""
        batch = self._need_batch()
        wanted = list(hashes)
        if not wanted:
            return
        rows = store.load_blocks(batch.session, wanted)
        if ordered:
            self._read_records(g for ids in rows.values() for g in ids if g != store.GIANT_MARKER)
        batch.initial.update(dict.fromkeys(wanted, ()))  # most blocks a batch asks for are new
        for h, ids in rows.items():
            members: list[int] | None = None
            if store.GIANT_MARKER not in ids:
                members = sorted(ids, key=self._stored_seq) if ordered else ids
            batch.initial[h] = members
            batch.blocks.load(h, members)
        if batch.pending:
            for h in wanted:
                for add, golden_id in batch.pending.pop(h, ()):
                    if add:
                        batch.blocks.add_hashed(golden_id, (h,))
                    else:
                        batch.blocks.remove_hashed(golden_id, (h,))

    def _stored_seq(self, golden_id: int) -> int:
        entry = self._need_batch().stored.get(golden_id)
        return entry[1] if entry is not None else -1

    def _read_terms(self, recs: Iterable[MatchKey]) -> None:
        batch = self._need_batch()
        terms = (t for rec in recs for t in self._hashes_of(rec).terms)
        wanted = list({t for t in terms if t not in batch.terms})
        found = store.load_terms(batch.session, wanted)
        for term in wanted:
            batch.terms[term] = found.get(term, 0)


def _block_writes(batch: _Batch, writes: store.IndexWrites) -> None:
    """Add the rows that take each touched block from what was read to what it holds now."""
    blocked, blocks = writes.blocked, batch.blocks
    for h in batch.touched:
        initial = batch.initial[h]
        if initial is None:
            continue  # giant blocks stay giant
        final = blocks.members(h)
        if final is None:
            writes.wiped.append(h)
            blocked.append((h, store.GIANT_MARKER))
        elif not initial:  # the usual case: a block this batch started
            blocked.extend([(h, g) for g in final])
        else:
            before, after = set(initial), set(final)
            writes.unblocked.extend([(h, g) for g in before - after])
            blocked.extend([(h, g) for g in after - before])
