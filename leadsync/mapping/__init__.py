"""Canonical model, normalisers and declarative field mapping (no vendor names here)."""

from __future__ import annotations

from leadsync.mapping.issues import MappingIssue
from leadsync.mapping.mapping import Mapping, MapResult, load_mapping

__all__ = ["MapResult", "Mapping", "MappingIssue", "load_mapping"]
