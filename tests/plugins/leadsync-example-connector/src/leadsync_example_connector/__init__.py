"""An in-memory CRM connector: the worked example of a third-party leadsync plugin."""

from __future__ import annotations

from leadsync_example_connector.connector import MemoryCrmConnector, MemoryCrmSettings
from leadsync_example_connector.store import MemoryCrm

__all__ = ["MemoryCrm", "MemoryCrmConnector", "MemoryCrmSettings"]
