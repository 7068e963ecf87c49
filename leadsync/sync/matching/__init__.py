"""Match before create: blocking, Fellegi–Sunter scoring, indexes, clustering.

Public entry points: :class:`MatchIndex` (people, in memory), ``stored.StoredMatchIndex`` (people,
in the store: what sync jobs use), :class:`AccountIndex` (companies),
:func:`find_clusters` (data-quality sweeps), :func:`estimate_parameters` and
:func:`estimate_u` (learning m/u from data) and :class:`MatchSettings`.
"""

from __future__ import annotations

from leadsync.sync.matching.accounts import AccountIndex, AccountMatch
from leadsync.sync.matching.dedupe import Cluster, ClusterPair, find_clusters
from leadsync.sync.matching.estimate import Estimate, estimate_parameters, estimate_u
from leadsync.sync.matching.index import MatchIndex
from leadsync.sync.matching.result import Candidate, MatchResult
from leadsync.sync.matching.settings import LevelParams, MatchSettings, Thresholds

__all__ = [
    "AccountIndex",
    "AccountMatch",
    "Candidate",
    "Cluster",
    "ClusterPair",
    "Estimate",
    "LevelParams",
    "MatchIndex",
    "MatchResult",
    "MatchSettings",
    "Thresholds",
    "estimate_parameters",
    "estimate_u",
    "find_clusters",
]
