"""The demo's project file: HubSpot, a trade-show CSV and web forms into Salesforce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadsync.demo.world import World

SF_PASSWORD_VAR = "LEADSYNC_DEMO_SF_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
SF_SECRET_VAR = "LEADSYNC_DEMO_SF_CLIENT_SECRET"  # noqa: S105
HS_TOKEN_VAR = "LEADSYNC_DEMO_HUBSPOT_TOKEN"  # noqa: S105

JOBS = ("hubspot-to-salesforce", "trade-show-to-salesforce", "forms-to-salesforce")


def demo_project(
    world: World, csv_path: Path, db_path: Path, routing: dict[str, Any]
) -> dict[str, Any]:
    """Return the project file's content (secrets as references to environment variables)."""
    return {
        "version": 1,
        "store": {"url": f"sqlite:///{db_path}"},
        "connectors": {
            "salesforce": {
                "type": "salesforce",
                "ca_bundle": world.salesforce_server.ca_path,
                "settings": {
                    "auth": {"kind": "password", "username": "admin@leadsync.example",
                             "password": f"${{{SF_PASSWORD_VAR}}}", "client_id": "leadsync-demo",
                             "client_secret": f"env:{SF_SECRET_VAR}"},
                    "login_url": world.salesforce_server.base_url,
                },
            },
            "hubspot": {
                "type": "hubspot",
                "settings": {
                    "auth": {"kind": "private_app", "access_token": f"${{{HS_TOKEN_VAR}}}"},
                    "base_url": world.hubspot_server.base_url,
                },
            },
            "trade-show": {"type": "csv", "settings": {"path": str(csv_path)}},
            "website": {"type": "forms", "settings": {}},
        },
        "policy": {
            "objects": {
                "lead": {
                    "master": "salesforce",
                    "fields": {
                        "email": "prefer salesforce unless blank",
                        "phone": "most recent non-empty",
                        "title": "prefer hubspot unless blank",
                        "first_touch": "first touch wins",
                        "stage": "priority salesforce, hubspot, website, trade-show",
                    },
                }
            }
        },
        "routing": routing,
        "jobs": [
            {"name": name, "sources": [source], "target": "salesforce", "object": "Lead",
             "batch_size": 200}
            for name, source in zip(JOBS, (
                {"connector": "hubspot", "object": "contacts"},
                {"connector": "trade-show", "object": "rows"},
                {"connector": "website", "object": "submissions"},
            ), strict=True)
        ],
    }  # fmt: skip
