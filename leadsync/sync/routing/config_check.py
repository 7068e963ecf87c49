"""``leadsync validate`` support: the ``routing`` section checked against its model."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from leadsync.config.project import Project
from leadsync.config.yaml_lines import Path_
from leadsync.sync.config_checks import model_errors
from leadsync.sync.routing.config import RoutingConfig


def check_project(project: Project) -> Iterable[tuple[Path_, str]]:
    """Every problem of ``project.routing``, with paths starting at ``routing``."""
    if not project.routing:
        return []
    located = list(_unknown_teams(project.routing))
    problems = [
        (path, message)
        for path, message in model_errors(RoutingConfig, project.routing, ("routing",))
        # The model reports an unknown team on the whole section; point at the rule instead.
        if not (located and path == ("routing",) and "unknown team" in message)
    ]
    return sorted([*problems, *located], key=lambda item: [str(p) for p in item[0]])


def _unknown_teams(section: dict[str, Any]) -> Iterator[tuple[Path_, str]]:
    teams = section.get("teams")
    known = set(teams) if isinstance(teams, dict) else set()
    rules = section.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        assign = rule.get("assign") if isinstance(rule, dict) else None
        team = assign.get("team") if isinstance(assign, dict) else None
        if isinstance(team, str) and team not in known:
            names = ", ".join(sorted(known)) or "none"
            path: Path_ = ("routing", "rules", index, "assign", "team")
            yield path, f"unknown team {team!r} (teams: {names})"
