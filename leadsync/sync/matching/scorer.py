"""The scoring and decision half of a match index, shared by the in-memory and stored indexes.

An index finds candidates (blocking) and knows how common a value is; :class:`Matcher` turns
those into scored candidates and a decision. Both indexes inherit it, so the same records give
the same decisions, best keys and scores wherever the index lives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from operator import itemgetter
from typing import NamedTuple

from leadsync.mapping.model import Lead
from leadsync.sync.matching.compare import (
    EMAIL,
    FIRST,
    LAST,
    PHONE,
    PairMemo,
    Scored,
    describe,
    score_pairs,
)
from leadsync.sync.matching.keys import MatchKey, build_key
from leadsync.sync.matching.result import Candidate, Decision, MatchResult
from leadsync.sync.matching.scoring import ScoreModel, probability
from leadsync.sync.matching.settings import MatchSettings

# Candidates below this probability are never worth showing a reviewer.
_REPORT_FLOOR = 0.01
_REPORT_TOP = 5
_Deltas = tuple[float | None, float | None, float | None, float | None]
_NO_DELTAS: _Deltas = (None, None, None, None)
_BITS = itemgetter(0)


class Frequencies(NamedTuple):
    """How common an incoming record's values are in the index (term-frequency adjustment).

    Attributes:
        total: Records in the index.
        email: Size of the record's exact-email block (``cap + 1`` when giant).
        phone: Size of the record's phone block (``cap + 1`` when giant).
        first: Indexed records with the same first name.
        last: Indexed records with the same surname.
    """

    total: int
    email: int
    phone: int
    first: int
    last: int


class Matcher(ABC):
    """Scores the candidates an index finds and decides match, review or new.

    Args:
        settings: Thresholds, m/u overrides, block cap and phone region.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        self.settings = settings or MatchSettings()
        self.model = ScoreModel(self.settings)
        self._pairs = PairMemo()

    def key_of(self, lead: Lead) -> MatchKey:
        """Build the comparison record of ``lead`` with this index's settings."""
        return build_key(lead, self.settings.default_region)

    @abstractmethod
    def __contains__(self, key: object) -> bool:
        """Tell whether ``key`` is indexed."""

    @abstractmethod
    def _candidates(self, rec: MatchKey) -> list[tuple[str, MatchKey]]:
        """Return ``(key, record)`` of the candidates of ``rec``, in block order, capped."""

    @abstractmethod
    def _frequencies(self, rec: MatchKey) -> Frequencies:
        """Return how common the values of ``rec`` are in the index."""

    def match_key(
        self,
        rec: MatchKey,
        *,
        object_kind: str = "person",
        exclude: Callable[[str], bool] | None = None,
        skip: str | None = None,
    ) -> MatchResult:
        """Decide whether the record ``rec`` is already indexed.

        Args:
            rec: The incoming record's comparison key.
            object_kind: Which thresholds apply (``"person"`` unless configured otherwise).
            exclude: Returns True for keys never to propose (remembered rejected pairs).
            skip: A key to ignore (the record itself, when it is indexed too).

        Returns:
            The decision, the best candidate and the candidates worth reviewing.
        """
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
        candidates = self._candidates(rec)
        if not candidates:
            return []
        # A record scored against its own index (``skip`` set) must not count itself when
        # judging how common its phone, email or name is.
        own = 1 if skip is not None and skip in self else 0
        freq = self._frequencies(rec) if self.settings.term_frequency else None
        model = self.model
        deltas = self._tf_deltas(rec, freq, own) if freq is not None else _NO_DELTAS
        if skip is not None or exclude is not None:
            candidates = [
                (key, other)
                for key, other in candidates
                if key != skip and not (exclude and exclude(key))
            ]
        out = score_pairs(rec, candidates, model.weights, model.prior_bits, deltas, self._pairs)
        out.sort(key=_BITS, reverse=True)
        return out

    def _tf_deltas(self, rec: MatchKey, freq: Frequencies, own: int) -> _Deltas:
        """Return what term frequency adds to an exact email, phone, first and last name.

        They depend on the incoming record alone, so they are worked out once, not per
        candidate. Each is the override weight minus the exact level's weight (None: no
        override): the float ``ScoreModel.bits`` adds for that override.
        """
        total, model = freq.total - own, self.model
        weights = model.weights
        d_email = d_phone = d_first = d_last = None
        if rec.email and freq.email - own > 1:
            d_email = model.shared_weight(EMAIL, freq.email - own, total) - weights[EMAIL][1]
        if rec.phone and freq.phone - own > 1:
            d_phone = model.shared_weight(PHONE, freq.phone - own, total) - weights[PHONE][1]
        if rec.first:
            d_first = model.name_weight(FIRST, freq.first - own, total) - weights[FIRST][1]
        if rec.last:
            d_last = model.name_weight(LAST, freq.last - own, total) - weights[LAST][1]
        return d_email, d_phone, d_first, d_last

    def _decide(self, scored: list[Scored], object_kind: str) -> MatchResult:
        if not scored:
            return MatchResult("new", None, [])
        thresholds = self.settings.thresholds_for(object_kind)
        # Scored is best first and probability rises with the score, so the candidates worth
        # showing are a prefix of the top ones: stop at the first below the floor.
        chances: list[float] = []
        for entry in scored[:_REPORT_TOP]:
            chances.append(probability(entry[0]))
            if chances[-1] < _REPORT_FLOOR:
                break
        shown_count = len(chances) if chances[-1] >= _REPORT_FLOOR else len(chances) - 1
        # The best candidate that identifies a person may sit below one that only shares
        # an employer: only the former can be an automatic match.
        decision: Decision | None = None
        best_at = 0
        for i, entry in enumerate(scored):
            if entry[1]:
                chance = chances[i] if i < len(chances) else probability(entry[0])
                if chance >= thresholds.match:
                    decision, best_at = "match", i
                break
        if decision is None:
            decision = "review" if chances[0] >= thresholds.review else "new"
        best = _candidate(scored[best_at], chances[best_at] if best_at < len(chances) else None)
        # Reasons are spelled out only for candidates worth showing: most records have none.
        shown = [
            best if i == best_at else _candidate(scored[i], chances[i]) for i in range(shown_count)
        ]
        return MatchResult(decision, best, shown if best_at < shown_count else [best, *shown])


def _candidate(entry: Scored, chance: float | None = None) -> Candidate:
    bits, _, key, levels, swapped = entry
    return Candidate(
        key, bits, probability(bits) if chance is None else chance, describe(levels, swapped)
    )
