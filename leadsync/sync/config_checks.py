"""Validators of the project-file sections the sync layer consumes, for ``leadsync validate``.

Each check turns pydantic errors into ``(path, message)`` pairs whose paths start at the
section's key, so the loader can point at the right line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from leadsync.config.loader import literal_secret_paths
from leadsync.config.project import Project
from leadsync.config.yaml_lines import Path_


def model_errors(model: type[BaseModel], data: Any, prefix: Path_) -> Iterator[tuple[Path_, str]]:
    """Yield ``(path, message)`` for every validation error of ``data`` against ``model``."""
    try:
        model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors(include_input=False, include_url=False):
            message = "unknown key" if detail["type"] == "extra_forbidden" else detail["msg"]
            yield (*prefix, *detail["loc"]), message.removeprefix("Value error, ")


def check_matching(project: Project) -> Iterable[tuple[Path_, str]]:
    """The ``matching`` section against :class:`MatchSettings`."""
    from leadsync.sync.matching import MatchSettings

    return list(model_errors(MatchSettings, project.matching, ("matching",)))


def check_policy(project: Project) -> Iterable[tuple[Path_, str]]:
    """The ``policy`` section against :class:`SurvivorshipPolicy` (or one ObjectPolicy)."""
    from leadsync.sync.policy import ObjectPolicy, SurvivorshipPolicy

    if not project.policy:
        return []
    if "objects" in project.policy:
        return list(model_errors(SurvivorshipPolicy, project.policy, ("policy",)))
    return list(model_errors(ObjectPolicy, project.policy, ("policy",)))


def check_server(project: Project) -> Iterable[tuple[Path_, str]]:
    """The ``server`` section against the webhook server's settings."""
    from leadsync.server.settings import ServerSettings

    if not project.server:
        return []
    problems = list(model_errors(ServerSettings, project.server, ("server",)))
    if not problems:
        settings = ServerSettings.model_validate(project.server)
        problems = [
            (("server", *path), "secrets must be references (${VAR}, env:NAME or file:/path)")
            for path in literal_secret_paths(settings, ())
        ]
    return problems
