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
from leadsync.sync.matching.compare import EMAIL, FIRST, LAST, PHONE, Levels, compare, describe
from leadsync.sync.matching.keys import MatchKey, blocking_keys, build_key
from leadsync.sync.matching.result import Candidate, Decision, MatchResult
from leadsync.sync.matching.scoring import ScoreModel, has_person_evidence, probability
from leadsync.sync.matching.settings import MatchSettings

# Candidates below this probability are never worth showing a reviewer.
_REPORT_FLOOR = 0.01
_REPORT_TOP = 5

# (match weight, has person evidence, key, levels, names swapped)
Scored = tuple[float, bool, str, Levels, bool]


class MatchIndex:
    """In-memory index of existing records for match-before-create.

    Args:
        settings: Thresholds, m/u overrides, block cap and phone region.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        self.settings = settings or MatchSettings()
        self.model = ScoreModel(self.settings)
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

    def key_of(self, lead: Lead) -> MatchKey:
        """Build the comparison record of ``lead`` with this index's settings."""
        return build_key(lead, self.settings.default_region)

    def add(self, key: str, lead: Lead) -> None:
        """Index ``lead`` under the caller's ``key`` (replacing what that key held)."""
        self.add_key(key, self.key_of(lead))

    def add_key(self, key: str, rec: MatchKey) -> None:
        """Index an already built comparison record under ``key``."""
        if key in self._ids:
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

    def match_key(
        self,
        rec: MatchKey,
        *,
        object_kind: str = "person",
        exclude: Callable[[str], bool] | None = None,
        skip: str | None = None,
    ) -> MatchResult:
        """Like :meth:`match` for a prebuilt record; ``skip`` names a key to ignore (itself)."""
        scored = self.score_candidates(rec, exclude=exclude, skip=skip)
        return self._decide(scored, object_kind)

    def score_candidates(
        self,
        rec: MatchKey,
        *,
        exclude: Callable[[str], bool] | None = None,
        skip: str | None = None,
    ) -> list[Scored]:
        """Score every candidate of ``rec``, best first.

        Returns:
            ``(bits, person_evidence, key, levels, swapped)`` tuples.
        """
        out = []
        # A record scored against its own index (``skip`` set) must not count itself when
        # judging how common its phone, email or name is.
        own = 1 if skip is not None and skip in self._ids else 0
        for rid in self._candidate_ids(rec):
            key, other = self._keys[rid], self._recs[rid]
            if key is None or other is None or key == skip or (exclude and exclude(key)):
                continue
            levels, swapped = compare(rec, other)
            bits = self.model.bits(levels, self._tf(rec, levels, own))
            out.append((bits, has_person_evidence(levels), key, levels, swapped))
        out.sort(key=lambda t: t[0], reverse=True)
        return out

    def _tf(self, rec: MatchKey, levels: Levels, own: int) -> list[tuple[int, float]]:
        if not self.settings.term_frequency:
            return []
        total, model, out = len(self._ids) - own, self.model, []
        if levels[EMAIL] == 1 and rec.email:
            count = self._blocks.size("e|" + rec.email) - own
            if count > 1:
                out.append((EMAIL, model.shared_weight(EMAIL, count, total)))
        if levels[PHONE] == 1 and rec.phone:
            count = self._blocks.size("p|" + rec.phone) - own
            if count > 1:
                out.append((PHONE, model.shared_weight(PHONE, count, total)))
        if levels[FIRST] == 1 and rec.first:
            count = self._first_counts.get(rec.first, 0) - own
            out.append((FIRST, model.name_weight(FIRST, count, total)))
        if levels[LAST] == 1 and rec.last:
            count = self._last_counts.get(rec.last, 0) - own
            out.append((LAST, model.name_weight(LAST, count, total)))
        return out

    def _candidate_ids(self, rec: MatchKey) -> list[int]:
        return self._blocks.lookup(blocking_keys(rec), self.settings.max_candidates)

    def _decide(self, scored: list[Scored], object_kind: str) -> MatchResult:
        if not scored:
            return MatchResult("new", None, [])
        thresholds = self.settings.thresholds_for(object_kind)
        shown = [
            Candidate(key, bits, probability(bits), describe(levels, swapped))
            for bits, _, key, levels, swapped in scored[:_REPORT_TOP]
        ]
        # The best candidate that identifies a person may sit below one that only shares
        # an employer: only the former can be an automatic match.
        for i, entry in enumerate(scored):
            if entry[1]:
                if probability(entry[0]) >= thresholds.match:
                    best = shown[i] if i < len(shown) else self._candidate(entry)
                    return MatchResult("match", best, _reportable(shown, best))
                break
        decision: Decision = "review" if shown[0].probability >= thresholds.review else "new"
        return MatchResult(decision, shown[0], _reportable(shown, shown[0]))

    @staticmethod
    def _candidate(entry: Scored) -> Candidate:
        bits, _, key, levels, swapped = entry
        return Candidate(key, bits, probability(bits), describe(levels, swapped))


def _reportable(shown: list[Candidate], best: Candidate) -> list[Candidate]:
    out = [c for c in shown if c.probability >= _REPORT_FLOOR]
    return out if best in out else [best, *out]


def _bump(counts: dict[str, int], value: str | None, delta: int) -> None:
    if value is None:
        return
    n = counts.get(value, 0) + delta
    if n > 0:
        counts[value] = n
    else:
        counts.pop(value, None)
