"""HubSpot connector: CRM v3 search/batch APIs through the official SDK, with a rate budget."""

from __future__ import annotations

from leadsync.connectors.hubspot.connector import HubSpotConnector
from leadsync.connectors.hubspot.settings import HubSpotSettings, OAuthAuth, PrivateAppAuth

__all__ = ["HubSpotConnector", "HubSpotSettings", "OAuthAuth", "PrivateAppAuth"]
