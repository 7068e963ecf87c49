"""``leadsync validate`` support: the ``routing`` section checked against its model."""

from __future__ import annotations

from collections.abc import Iterable

from leadsync.config.project import Project
from leadsync.config.yaml_lines import Path_
from leadsync.sync.config_checks import model_errors
from leadsync.sync.routing.config import RoutingConfig


def check_project(project: Project) -> Iterable[tuple[Path_, str]]:
    """Every problem of ``project.routing``, with paths starting at ``routing``."""
    if not project.routing:
        return []
    return list(model_errors(RoutingConfig, project.routing, ("routing",)))
