"""CSV file source: encoding and delimiter detection, streaming rows, row-level errors."""

from __future__ import annotations

from leadsync.connectors.csv.connector import CsvConnector, CsvSettings, RowError
from leadsync.connectors.csv.sniff import Dialect, normalise_headers, sniff

__all__ = ["CsvConnector", "CsvSettings", "Dialect", "RowError", "normalise_headers", "sniff"]
