"""Duplicate clusters within one set of records, for data-quality sweeps.

Every record is indexed, each is matched against the others, and auto-match pairs are joined
with union–find. A cluster is transitive (A~B and B~C puts A, B, C together); its pairs keep
the scores that linked it, so a reviewer can see the weakest link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadsync.mapping.model import Lead
from leadsync.sync.matching.index import MatchIndex
from leadsync.sync.matching.keys import MatchKey
from leadsync.sync.matching.scoring import probability
from leadsync.sync.matching.settings import MatchSettings


@dataclass(frozen=True, slots=True)
class ClusterPair:
    """One auto-match link inside a cluster.

    Attributes:
        a: Key of the earlier record (input order).
        b: Key of the later record.
        score: Match weight (log2 odds).
        probability: Match probability.
    """

    a: str
    b: str
    score: float
    probability: float


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records that are one person.

    Attributes:
        keys: Member keys in input order (at least two).
        pairs: The links that joined them.
    """

    keys: list[str]
    pairs: list[ClusterPair] = field(default_factory=list)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression keeps later finds flat
            parent[x], x = root, parent.get(x, root)
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def find_clusters(
    records: Iterable[tuple[str, Lead]],
    settings: MatchSettings | None = None,
    *,
    object_kind: str = "person",
) -> list[Cluster]:
    """Group records that the matcher would auto-match into clusters.

    Args:
        records: ``(key, lead)`` pairs; keys must be unique.
        settings: Matching settings (the auto-match threshold of ``object_kind`` applies).
        object_kind: Which thresholds to use.

    Returns:
        Clusters of two or more records, in the input order of their first member.
    """
    index = MatchIndex(settings)
    threshold = index.settings.thresholds_for(object_kind).match
    items: list[tuple[str, MatchKey]] = []
    for key, lead in records:
        rec = index.key_of(lead)
        index.add_key(key, rec)
        items.append((key, rec))
    order = {key: i for i, (key, _) in enumerate(items)}
    links = _UnionFind()
    pairs: list[ClusterPair] = []
    for i, (key, rec) in enumerate(items):
        # Score each pair once: only against records later in the input.
        later = index.score_candidates(rec, exclude=_earlier(order, i), skip=key)
        for bits, evidence, other, _, _ in later:
            p = probability(bits)
            if evidence and p >= threshold:
                links.union(key, other)
                pairs.append(ClusterPair(key, other, bits, p))
    return _group(items, links, pairs, order)


def _earlier(order: dict[str, int], i: int) -> Callable[[str], bool]:
    return lambda key: order[key] <= i


def _group(
    items: list[tuple[str, MatchKey]],
    links: _UnionFind,
    pairs: list[ClusterPair],
    order: dict[str, int],
) -> list[Cluster]:
    members: dict[str, list[str]] = {}
    for key, _ in items:
        members.setdefault(links.find(key), []).append(key)
    pair_lists: dict[str, list[ClusterPair]] = {}
    for pair in pairs:
        pair_lists.setdefault(links.find(pair.a), []).append(pair)
    clusters = [
        Cluster(keys, pair_lists.get(root, [])) for root, keys in members.items() if len(keys) > 1
    ]
    clusters.sort(key=lambda c: order[c.keys[0]])
    return clusters
