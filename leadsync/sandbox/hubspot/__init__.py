"""Stateful emulator of the HubSpot CRM v3/v4 API (moto-style), driven by the real SDK.

Typical use::

    sandbox = HubSpotSandbox()
    seed_hubspot(sandbox, seed=1, contacts=500)
    with sandbox.serve(tls=True) as server:
        client = hubspot_client(server)
        client.crm.contacts.basic_api.get_page(limit=10)

Faults: ``sandbox.faults`` (shared :class:`~leadsync.sandbox.runtime.FaultPlan`); accounting:
``sandbox.calls`` keyed ``"POST /crm/v3/objects/contacts/batch/create"`` and so on; limits:
``sandbox.settings``. Over HTTP the same live under ``/__sandbox__/`` (``calls``, ``faults``,
``settings``, ``reset``, ``state``; see :mod:`.routes_control`).
"""

from __future__ import annotations

from leadsync.sandbox.hubspot.app import create_app
from leadsync.sandbox.hubspot.client import hubspot_client
from leadsync.sandbox.hubspot.models import HubSpotState
from leadsync.sandbox.hubspot.sandbox import DEFAULT_TOKEN, HubSpotSandbox, HubSpotSettings
from leadsync.sandbox.hubspot.seed import SeedResult, seed_hubspot

__all__ = [
    "DEFAULT_TOKEN",
    "HubSpotSandbox",
    "HubSpotSettings",
    "HubSpotState",
    "SeedResult",
    "create_app",
    "hubspot_client",
    "seed_hubspot",
]
