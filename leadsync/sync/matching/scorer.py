"""The scoring and decision half of a match index, shared by the in-memory and stored indexes.

An index finds candidates (blocking) and knows how common a value is; :class:`Matcher` turns
those into scored candidates and a decision. Both indexes inherit it, so the same records give
the same decisions, best keys and scores wherever the index lives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple

from leadsync.sync.matching.compare import EMAIL, FIRST, LAST, PHONE, Levels, compare, describe
from leadsync.sync.matching.keys import MatchKey
from leadsync.sync.matching.result import Candidate, Decision, MatchResult
from leadsync.sync.matching.scoring import ScoreModel, has_person_evidence, probability
from leadsync.sync.matching.settings import MatchSettings

# Candidates below this probability are never worth showing a reviewer.
_REPORT_FLOOR = 0.01
_REPORT_TOP = 5

# (match weight, has person evidence, key, levels, names swapped)
Scored = tuple[float, bool, str, Levels, bool]


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
        out: list[Scored] = []
        candidates = self._candidates(rec)
        if not candidates:
            return out
        # A record scored against its own index (``skip`` set) must not count itself when
        # judging how common its phone, email or name is.
        own = 1 if skip is not None and skip in self else 0
        freq = self._frequencies(rec) if self.settings.term_frequency else None
        for key, other in candidates:
            if key == skip or (exclude and exclude(key)):
                continue
            levels, swapped = compare(rec, other)
            tf = self._tf(rec, levels, freq, own) if freq is not None else ()
            bits = self.model.bits(levels, tf)
            out.append((bits, has_person_evidence(levels), key, levels, swapped))
        out.sort(key=lambda t: t[0], reverse=True)
        return out

    def _tf(
        self, rec: MatchKey, levels: Levels, freq: Frequencies, own: int
    ) -> list[tuple[int, float]]:
        total, model, out = freq.total - own, self.model, []
        if levels[EMAIL] == 1 and rec.email:
            count = freq.email - own
            if count > 1:
                out.append((EMAIL, model.shared_weight(EMAIL, count, total)))
        if levels[PHONE] == 1 and rec.phone:
            count = freq.phone - own
            if count > 1:
                out.append((PHONE, model.shared_weight(PHONE, count, total)))
        if levels[FIRST] == 1 and rec.first:
            out.append((FIRST, model.name_weight(FIRST, freq.first - own, total)))
        if levels[LAST] == 1 and rec.last:
            out.append((LAST, model.name_weight(LAST, freq.last - own, total)))
        return out

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
                    best = shown[i] if i < len(shown) else _candidate(entry)
                    return MatchResult("match", best, _reportable(shown, best))
                break
        decision: Decision = "review" if shown[0].probability >= thresholds.review else "new"
        return MatchResult(decision, shown[0], _reportable(shown, shown[0]))


def _candidate(entry: Scored) -> Candidate:
    bits, _, key, levels, swapped = entry
    return Candidate(key, bits, probability(bits), describe(levels, swapped))


def _reportable(shown: list[Candidate], best: Candidate) -> list[Candidate]:
    out = [c for c in shown if c.probability >= _REPORT_FLOOR]
    return out if best in out else [best, *out]
