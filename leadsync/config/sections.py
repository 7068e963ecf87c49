"""Validators for project-file sections owned by the sync layer (matching, policy, routing).

They are looked up late so that :mod:`leadsync.config` itself depends on nothing above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from leadsync.config.loader import SectionValidator

# (module, function) pairs; each function takes the project and yields (path, message).
_SECTION_CHECKS = (
    ("leadsync.sync.config_checks", "check_matching"),
    ("leadsync.sync.config_checks", "check_policy"),
    ("leadsync.sync.config_checks", "check_server"),
    ("leadsync.sync.routing.config_check", "check_project"),
)


def section_checks() -> Iterable[SectionValidator]:
    """Return the section validators that are installed."""
    checks: list[SectionValidator] = []
    for module_name, function in _SECTION_CHECKS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError:
            continue
        checks.append(getattr(module, function))
    return checks
