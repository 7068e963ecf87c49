"""Project configuration: the ``leadsync.yaml`` models, secret references and validation."""

from __future__ import annotations

from leadsync.config.loader import ConfigIssue, load_project, validate_file
from leadsync.config.project import JobConfig, Project
from leadsync.config.secrets import SecretRef, resolve_secrets

__all__ = [
    "ConfigIssue",
    "JobConfig",
    "Project",
    "SecretRef",
    "load_project",
    "resolve_secrets",
    "validate_file",
]
