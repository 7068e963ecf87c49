"""Web-form source: generic JSON and HubSpot form/workflow webhook payloads."""

from __future__ import annotations

from leadsync.connectors.forms.connector import FormsConnector, FormsSettings
from leadsync.connectors.forms.payloads import payload_to_record

__all__ = ["FormsConnector", "FormsSettings", "payload_to_record"]
