"""The demo's routing rules, built from the owners the Salesforce sandbox was seeded with."""

from __future__ import annotations

from typing import Any

from leadsync.demo.world import World


def demo_routing(world: World) -> dict[str, Any]:
    """Territories by round robin, a named owner for enterprises, account owners first."""
    users = [u for u in world.salesforce.rows("User") if u.get("IsActive") and u.get("Email")]
    reps = sorted(str(u["Email"]) for u in users if not str(u["Email"]).startswith("admin@"))
    admin = next((str(u["Email"]) for u in users if str(u["Email"]).startswith("admin@")), reps[0])
    americas, emea, enterprise = reps[:3], reps[3:5], reps[5:6] or reps[:1]
    return {
        "account_owner_first": True,
        "rules": [
            {"name": "enterprise", "when": {"employees": {"min": 1000}},
             "assign": {"owner": enterprise[0]}},
            {"name": "emea-territory", "when": {"countries": ["GB", "DE", "FR", "NL", "IE"]},
             "assign": {"team": "emea"}},
            {"name": "americas-territory", "when": {"countries": ["US", "CA", "MX", "BR"]},
             "assign": {"team": "americas"}},
        ],
        "teams": {
            "americas": {"members": [{"email": e, "daily_cap": 500} for e in americas]},
            "emea": {"members": [{"email": e} for e in emea]},
        },
        "fallback_owner": admin,
        "scoring": {
            "rules": [
                {"name": "enterprise-size", "when": {"employees": {"min": 1000}}, "points": 40},
                {"name": "webinar", "when": {"sources": ["webinar"]}, "points": 35},
                {"name": "has-phone", "when": {"conditions": [{"field": "phone", "op": "exists"}]},
                 "points": 10},
            ],
            "tiers": {"hot": 70, "warm": 40, "cold": 0},
        },
        "first_response_minutes": {"hot": 15, "warm": 240, "cold": 1440},
    }  # fmt: skip
