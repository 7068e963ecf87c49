"""Salesforce connector: REST/SOQL reads, sObject Collections and Bulk API 2.0 writes."""

from __future__ import annotations

from leadsync.connectors.salesforce.connector import SalesforceConnector
from leadsync.connectors.salesforce.settings import (
    JwtAuth,
    PasswordAuth,
    RefreshTokenAuth,
    SalesforceSettings,
    SessionAuth,
)

__all__ = [
    "JwtAuth",
    "PasswordAuth",
    "RefreshTokenAuth",
    "SalesforceConnector",
    "SalesforceSettings",
    "SessionAuth",
]
