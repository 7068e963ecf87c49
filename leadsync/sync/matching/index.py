"""MatchIndex: an in-memory index of existing people that answers "is this one of them?".

Records are kept as compact :class:`MatchKey` values in a list, addressed by a small int id;
blocks map to ids; the caller's keys are opaque strings. The cost of a match grows with the
number of candidates in its blocks, never with the size of the index.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from leadsync.mapping.model import Lead
from leadsync.sync.matching.blocks import BlockStore
from leadsync.sync.matching.keys import MatchKey, blocking_keys
from leadsync.sync.matching.result import MatchResult
from leadsync.sync.matching.scorer import Frequencies, Matcher
from leadsync.sync.matching.settings import MatchSettings


class MatchIndex(Matcher):
    """In-memory index of existing records for match-before-create.

    Args:
        settings: Thresholds, m/u overrides, block cap and phone region.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        super().__init__(settings)
        self._blocks = BlockStore(self.settings.max_block_size)
        self._keys: list[str | None] = []
        self._recs: list[MatchKey | None] = []
        self._ids: dict[str, int] = {}
        self._free: list[int] = []
        self._first_counts: dict[str, int] = {}
        self._last_counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    @property
    def giant_blocks(self) -> int:
        """How many blocks have outgrown the cap and are skipped."""
        return self._blocks.giant_blocks

    def add(self, key: str, lead: Lead) -> None:
        """Index ``lead`` under the caller's ``key`` (replacing what that key held)."""
        self.add_key(key, self.key_of(lead))

    def add_key(self, key: str, rec: MatchKey) -> None:
        """Index an already built comparison record under ``key``.

        Re-adding the record a key already holds changes nothing (its blocks keep their order).
        """
        rid = self._ids.get(key)
        if rid is not None:
            if self._recs[rid] == rec:
                return
            self.remove(key)
        if self._free:
            rid = self._free.pop()
            self._keys[rid], self._recs[rid] = sys.intern(key), rec
        else:
            rid = len(self._recs)
            self._keys.append(sys.intern(key))
            self._recs.append(rec)
        self._ids[key] = rid
        self._blocks.add(rid, blocking_keys(rec))
        _bump(self._first_counts, rec.first, 1)
        _bump(self._last_counts, rec.last, 1)

    def remove(self, key: str) -> bool:
        """Forget ``key``; return whether it was indexed."""
        rid = self._ids.pop(key, None)
        if rid is None:
            return False
        rec = self._recs[rid]
        assert rec is not None  # ids in _ids always point at a live record
        self._blocks.remove(rid, blocking_keys(rec))
        _bump(self._first_counts, rec.first, -1)
        _bump(self._last_counts, rec.last, -1)
        self._keys[rid], self._recs[rid] = None, None
        self._free.append(rid)
        return True

    def update(self, key: str, lead: Lead) -> None:
        """Re-index ``key`` with the lead's new values."""
        self.add(key, lead)

    def candidates(self, lead: Lead) -> list[str]:
        """Return the keys of the records that share a block with ``lead`` (unscored)."""
        rec = self.key_of(lead)
        return [k for k in (self._keys[r] for r in self._candidate_ids(rec)) if k is not None]

    def match(
        self,
        lead: Lead,
        *,
        object_kind: str = "person",
        exclude: Callable[[str], bool] | None = None,
    ) -> MatchResult:
        """Decide whether ``lead`` is already in the index.

        Args:
            lead: The incoming record.
            object_kind: Which thresholds apply (``"person"`` unless configured otherwise).
            exclude: Returns True for keys never to propose (remembered rejected pairs).

        Returns:
            The decision, the best candidate and the candidates worth reviewing.
        """
        return self.match_key(self.key_of(lead), object_kind=object_kind, exclude=exclude)

    def match_many(
        self,
        leads: Iterable[Lead],
        *,
        object_kind: str = "person",
        exclude: Callable[[str], bool] | None = None,
    ) -> list[MatchResult]:
        """Match each lead against the index (not against each other), in order."""
        return [self.match(lead, object_kind=object_kind, exclude=exclude) for lead in leads]

    def _candidates(self, rec: MatchKey) -> list[tuple[str, MatchKey]]:
        keys, recs = self._keys, self._recs
        out = []
        for rid in self._candidate_ids(rec):
            key, other = keys[rid], recs[rid]
            if key is not None and other is not None:
                out.append((key, other))
        return out

    def _frequencies(self, rec: MatchKey) -> Frequencies:
        blocks = self._blocks
        return Frequencies(
            len(self._ids),
            blocks.size("e|" + rec.email) if rec.email else 0,
            blocks.size("p|" + rec.phone) if rec.phone else 0,
            self._first_counts.get(rec.first, 0) if rec.first else 0,
            self._last_counts.get(rec.last, 0) if rec.last else 0,
        )

    def _candidate_ids(self, rec: MatchKey) -> list[int]:
        return self._blocks.lookup(blocking_keys(rec), self.settings.max_candidates)


def _bump(counts: dict[str, int], value: str | None, delta: int) -> None:
    if value is None:
        return
    n = counts.get(value, 0) + delta
    if n > 0:
        counts[value] = n
    else:
        counts.pop(value, None)
