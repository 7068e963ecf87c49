"""Validators for project-file sections owned by the sync layer (matching, policy, routing).

They are looked up late so that :mod:`leadsync.config` itself depends on nothing above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from leadsync.config.loader import SectionValidator

# Each entry names a module that exposes ``check_project(project)`` yielding (path, message).
_SECTION_MODULES = (
    "leadsync.sync.matching.config_check",
    "leadsync.sync.policy_config_check",
    "leadsync.sync.routing.config_check",
)


def section_checks() -> Iterable[SectionValidator]:
    """Return the section validators that are installed."""
    checks: list[SectionValidator] = []
    for name in _SECTION_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError:
            continue
        checks.append(module.check_project)
    return checks
