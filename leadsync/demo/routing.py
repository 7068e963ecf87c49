"""The demo's routing rules, built from the owners the Salesforce sandbox was seeded with."""

from __future__ import annotations

from typing import Any

from leadsync.demo.world import World


def demo_routing(world: World) -> dict[str, Any]:
    """Return the routing section for the demo (empty until routing is configured)."""
    del world
    return {}
