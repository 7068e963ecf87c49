"""StoredMatchIndex: the match index in the store, read and written one batch at a time.

Memory holds one batch and bounded caches, never the whole index.
:meth:`StoredMatchIndex.begin` locks the index (its state row; SQLite's write lock does it
already) and reads, in one query each, the blocks of the batch's incoming records (members
oldest first), the keys of their members and of the goldens the batch will re-index, and the
name counts; rows it read or wrote in earlier batches it takes from memory instead, as long as
the state row shows that nobody has written the index since (see :class:`_Known`). Matching
then runs on that cache plus what earlier records of the batch changed, exactly as the
in-memory :class:`MatchIndex` would (same blocks, block order, giant-block cap, counts and
scoring: both inherit :class:`Matcher`).
:meth:`StoredMatchIndex.flush` writes the changes in the caller's transaction, so they commit
or roll back with the golden leads they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy.orm import Session

from leadsync.errors import FatalError
from leadsync.mapping.model import Lead
from leadsync.store import match_index as store
from leadsync.sync.matching.blocks import BlockStore, stable_hash
from leadsync.sync.matching.keys import (
    KEY_VERSION,
    MatchKey,
    blocking_keys,
    pack_key,
    same_key_fields,
    unpack_key,
)
from leadsync.sync.matching.result import MatchResult
from leadsync.sync.matching.scorer import Frequencies, Matcher
from leadsync.sync.matching.settings import MatchSettings

KEY_PREFIX = "g:"  # candidate keys are "g:<golden id>", as ingest expects
DECODED_KEYS = 100_000  # packed keys remembered with what they decode to, at most (~0.5 KB each)
# Blocks, keys and name counts a run keeps between batches, at most (see _Known).
KNOWN_ENTRIES = 400_000
_UNKNOWN = object()


@dataclass
class _Batch:
    """What one batch has read and changed."""

    session: Session
    state: store.IndexState
    blocks: BlockStore
    initial: dict[int, tuple[int, ...] | None] = field(default_factory=dict)  # None: giant
    pending: dict[int, list[tuple[bool, int]]] = field(default_factory=dict)  # on unread blocks
    touched: set[int] = field(default_factory=set)
    keys: dict[int, MatchKey | None] = field(default_factory=dict)  # read, then as changed
    changed: set[int] = field(default_factory=set)  # goldens whose entry in keys is new
    terms: dict[int, int] = field(default_factory=dict)
    deltas: dict[int, int] = field(default_factory=dict)
    premade: dict[int, tuple[Lead, MatchKey]] = field(default_factory=dict)  # by id(lead)
    last: tuple[Lead, MatchKey] | None = None


@dataclass(frozen=True, slots=True)
class BlockHashes:
    """The stable hashes of one MatchKey: its blocks, name terms, email and phone blocks."""

    blocks: list[int]
    first: int | None
    last: int | None
    email: int | None
    phone: int | None

    @property
    def terms(self) -> list[int]:
        """The hashes of the first-name and surname terms that are set."""
        return [t for t in (self.first, self.last) if t is not None]


def block_hashes(rec: MatchKey) -> BlockHashes:
    """Return the stable hashes of ``rec``'s blocks and name terms (pure: any process may)."""
    names = blocking_keys(rec)
    blocks = [stable_hash(name) for name in names]
    return BlockHashes(
        blocks,
        stable_hash("f|" + rec.first) if rec.first else None,
        stable_hash("l|" + rec.last) if rec.last else None,
        blocks[names.index("e|" + rec.email)] if rec.email else None,
        blocks[names.index("p|" + rec.phone)] if rec.phone else None,
    )


class _Decoded:
    """Packed keys and what they decode to, kept from batch to batch.

    Most candidates come back batch after batch (shared names, employers, places), and building
    a MatchKey from its packed text costs more than reading it. Entries are found by the packed
    text, so a key that another job re-indexed meanwhile is decoded anew, never served stale.
    Two generations bound the memory: when the newer one is full it becomes the older one and
    the older one is dropped, so keys in use stay and the rest age out.
    """

    __slots__ = ("_newer", "_older", "_size")

    def __init__(self, size: int) -> None:
        self._newer: dict[str, MatchKey] = {}
        self._older: dict[str, MatchKey] = {}
        self._size = size // 2

    def decode(self, packed: str) -> MatchKey:
        """Return the MatchKey ``packed`` holds."""
        rec = self._newer.get(packed)
        if rec is None:
            rec = self._older.get(packed) or unpack_key(packed)
            self.remember(packed, rec)
        return rec

    def remember(self, packed: str, rec: MatchKey) -> None:
        """Note that ``packed`` decodes to ``rec``."""
        if len(self._newer) >= self._size:
            self._older, self._newer = self._newer, {}
        self._newer[packed] = rec


class _Known:
    """Stored index rows as of the last write of the index, kept from batch to batch.

    Dense blocks (a big employer's staff, a common surname) and their members' keys come back
    in nearly every batch; reading and decoding them again took about a fifth of the engine's
    time in a 100k run (by a py-spy profile).
    The rows are those this index read or wrote, as the store holds them under the state
    row's write token ``token`` (:func:`~leadsync.store.match_index.new_write_token`: a new one
    at each write of the index). They are used only while the state row still holds that
    token: any other write (another job, a rebuild, a golden deleted elsewhere), or a rollback
    of this index's own write, leaves another token, and they are dropped. When they grow past
    ``limit`` they are dropped too, all but those the last batch used, so memory stays
    bounded.

    ``blocks`` maps a block hash to its members (None: giant) for blocks of two members or
    more (the one-member blocks of an email or phone seldom come back), ``keys`` a golden id
    to its key (None: not indexed), ``terms`` a term to its count.
    """

    __slots__ = ("blocks", "keys", "limit", "terms", "token")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.token: int | None = None
        self.blocks: dict[int, tuple[int, ...] | None] = {}
        self.keys: dict[int, MatchKey | None] = {}
        self.terms: dict[int, int] = {}

    def reset(self, token: int | None) -> None:
        """Forget every row; the store's rows now are those of ``token``."""
        self.token = token
        self.blocks, self.keys, self.terms = {}, {}, {}

    def bound(self, batch: _Batch) -> None:
        """Past ``limit`` rows, keep only those ``batch`` used (or none, if they are many).

        Dense blocks and their members come back batch after batch, so the rows the last
        batch used are the ones the next will ask for; dropping them too made the next batches
        read them all again. Every row kept is as current as before: a subset of rows that
        hold under ``token`` holds under it too.
        """
        if len(self.blocks) + len(self.keys) + len(self.terms) <= self.limit:
            return
        blocks = {h: self.blocks[h] for h in batch.initial if h in self.blocks}
        keys = {g: self.keys[g] for g in batch.keys if g in self.keys}
        terms = {t: self.terms[t] for t in batch.terms if t in self.terms}
        if len(blocks) + len(keys) + len(terms) > self.limit // 2:
            self.reset(self.token)
        else:
            self.blocks, self.keys, self.terms = blocks, keys, terms


class StoredMatchIndex(Matcher):
    """Match index kept in the store's ``match_*`` tables.

    Args:
        settings: Thresholds, m/u overrides, block cap and phone region.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        super().__init__(settings)
        self._batch: _Batch | None = None
        self._hashes: dict[MatchKey, BlockHashes] = {}
        self._decoded = _Decoded(DECODED_KEYS)
        self._known = _Known(KNOWN_ENTRIES)

    @property
    def built_with(self) -> str:
        """What stored keys and blocks depend on; another value means they must be rebuilt."""
        s = self.settings
        return f"v{KEY_VERSION} region={s.default_region} cap={s.max_block_size}"

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
        if state.write_token != self._known.token:
            self._known.reset(state.write_token)  # written by someone else, or rolled back
        self._batch = _Batch(session, state, BlockStore(self.settings.max_block_size))
        self._hashes = {}
        self.prefetch(leads, golden_ids)

    def prefetch(
        self,
        leads: Iterable[Lead] = (),
        golden_ids: Iterable[int] = (),
        *,
        keyed: Iterable[tuple[Lead, MatchKey, BlockHashes]] = (),
    ) -> None:
        """Read what matching ``leads`` and re-indexing ``golden_ids`` will need, in bulk.

        ``keyed`` are more leads, each with the key and hashes :func:`block_hashes` made of
        it elsewhere (a read-ahead process), so they are not computed again here.
        """
        batch = self._need_batch()
        recs = []
        for lead in leads:
            rec = self.key_of(lead)
            batch.premade[id(lead)] = (lead, rec)
            recs.append(rec)
        for lead, rec, hashes in keyed:
            batch.premade[id(lead)] = (lead, rec)
            self._hashes[rec] = hashes
            recs.append(rec)
        self._read_records(golden_ids)
        self._read_blocks({h for rec in recs for h in self._hashes_of(rec).blocks})
        self._read_terms(recs)

    def likely_matches(self, most: int = 2) -> set[int]:
        """Golden ids that share an exact email or phone with a lead :meth:`prefetch` was given.

        Such a golden is what that lead most likely matches, so the caller can read all their
        rows in one query instead of one query per match. Blocks of more than ``most`` members
        (a shared switchboard number) are left out.
        """
        batch = self._need_batch()
        out: set[int] = set()
        members = batch.blocks.members
        for _, rec in batch.premade.values():
            hashes = self._hashes_of(rec)
            for h in (hashes.email, hashes.phone):
                found = members(h) if h is not None else None
                if found and len(found) <= most:
                    out.update(found)
        return out

    def flush(self) -> None:
        """Write what the batch changed and end it."""
        batch = self._need_batch()
        self._read_blocks(batch.pending, with_keys=False)
        writes = store.IndexWrites(terms=batch.deltas)
        known = self._known
        known.token = None  # what follows is the store's only once the new token is written
        _block_writes(batch, writes, known.blocks)
        for golden_id in sorted(batch.changed):
            rec = known.keys[golden_id] = batch.keys[golden_id]
            if rec is None:
                writes.dropped.append(golden_id)
            else:
                packed = pack_key(rec)
                writes.records.append((golden_id, packed))
                self._decoded.remember(packed, rec)
        store.write(batch.session, writes)
        if batch.changed:
            for term, delta in batch.deltas.items():
                read = batch.terms.get(term)
                if read is None:
                    known.terms.pop(term, None)
                else:
                    known.terms[term] = max(read + delta, 0)  # a row at 0 or below is deleted
            batch.state.write_token = store.new_write_token()
            store.save_state(batch.session, batch.state)
        known.token = batch.state.write_token
        known.bound(batch)
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
            self._read_blocks(self._hashes_of(rec).blocks)
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
        new = before is None and golden_id not in batch.keys
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
        batch.keys[golden_id] = rec
        batch.changed.add(golden_id)
        self._apply(golden_id, rec, add=True)

    def remove(self, golden_id: int) -> bool:
        """Take golden lead ``golden_id`` out of the index; return whether it was in it."""
        batch = self._need_batch()
        old = self._current(golden_id)
        if old is None:
            return False
        self._apply(golden_id, old, add=False)
        batch.state.records -= 1
        batch.keys[golden_id] = None
        batch.changed.add(golden_id)
        return True

    # -- the Matcher hooks ------------------------------------------------------------------
    def _candidates(self, rec: MatchKey) -> list[tuple[str, MatchKey]]:
        batch = self._need_batch()
        ids = batch.blocks.lookup_hashed(self._hashes_of(rec).blocks, self.settings.max_candidates)
        keys = batch.keys
        out = []
        for golden_id in ids:
            other = keys[golden_id] if golden_id in keys else self._current(golden_id)
            if other is not None:  # a block member whose golden is gone is no candidate
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

    def _hashes_of(self, rec: MatchKey) -> BlockHashes:
        hashes = self._hashes.get(rec)
        if hashes is None:
            hashes = self._hashes[rec] = block_hashes(rec)
        return hashes

    def _current(self, golden_id: int) -> MatchKey | None:
        keys = self._need_batch().keys
        if golden_id not in keys:
            self._read_records([golden_id])
        return keys[golden_id]

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
        keys = self._need_batch().keys
        known = self._known.keys
        wanted = []
        for golden_id in set(golden_ids):
            if golden_id not in keys:
                rec = known.get(golden_id, _UNKNOWN)
                if rec is _UNKNOWN:
                    wanted.append(golden_id)
                else:
                    keys[golden_id] = cast("MatchKey | None", rec)
        if not wanted:
            return
        keys.update(dict.fromkeys(wanted))  # those without a row are not indexed
        decode = self._decoded.decode
        for golden_id, packed in store.load_records(self._need_batch().session, wanted):
            keys[golden_id] = decode(packed)
        for golden_id in wanted:
            known[golden_id] = keys[golden_id]

    def _read_blocks(self, hashes: Iterable[int], *, with_keys: bool = True) -> None:
        """Read blocks, and the keys of their members when ``with_keys``; replay what is pending.

        Blocks come back with their members oldest first, the order the in-memory index keeps.
        """
        batch = self._need_batch()
        # A block read before holds this batch's changes: reading it again would drop them.
        wanted = [h for h in hashes if h not in batch.initial]
        if not wanted:
            return
        known = self._known.blocks
        rows = [(h, known[h]) for h in wanted if h in known]
        if len(rows) < len(wanted):
            read = store.load_blocks(batch.session, [h for h in wanted if h not in known])
            rows.extend(read)
            known.update((h, members) for h, members in read if _kept(members))
        initial, load = batch.initial, batch.blocks.load
        initial.update(dict.fromkeys(wanted, ()))  # most blocks a batch asks for are new
        for h, members in rows:
            initial[h] = members
            load(h, members)
        if with_keys:
            self._read_records(g for _, members in rows if members is not None for g in members)
        if batch.pending:
            for h in wanted:
                for add, golden_id in batch.pending.pop(h, ()):
                    if add:
                        batch.blocks.add_hashed(golden_id, (h,))
                    else:
                        batch.blocks.remove_hashed(golden_id, (h,))

    def _read_terms(self, recs: Iterable[MatchKey]) -> None:
        batch = self._need_batch()
        known = self._known.terms
        terms = (t for rec in recs for t in self._hashes_of(rec).terms)
        wanted = {t for t in terms if t not in batch.terms}
        unread = [t for t in wanted if t not in known]
        if unread:
            known.update(dict.fromkeys(unread, 0))
            known.update(store.load_terms(batch.session, unread))
        batch.terms.update((t, known[t]) for t in wanted)


def _kept(members: tuple[int, ...] | None) -> bool:
    """Whether :class:`_Known` keeps a block of ``members`` (giant, or two members or more)."""
    return members is None or len(members) > 1


def _block_writes(
    batch: _Batch, writes: store.IndexWrites, known: dict[int, tuple[int, ...] | None]
) -> None:
    """List each touched block whose members changed, as it is now (giant blocks stay giant).

    ``known`` gets each touched block it keeps as the store will hold it, and forgets the rest.
    """
    members, initial, pack = batch.blocks.members, batch.initial, store.pack_members
    changed, emptied = writes.blocks, writes.emptied
    for h in sorted(batch.touched):  # in key order, rows land in the table's b-tree in order
        before = initial[h]
        if before is None:
            known[h] = None
            continue
        after = members(h)
        if _kept(after):
            known[h] = after
        else:
            known.pop(h, None)
        if after == before:
            continue
        if after is None:
            changed.append((h, None))
        elif after:
            changed.append((h, pack(after)))
        else:
            emptied.append(h)
