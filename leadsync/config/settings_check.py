"""Checks of connector types and schedules used while validating a project file."""

from __future__ import annotations

from croniter import croniter
from pydantic import BaseModel

from leadsync.errors import ConfigError


def check_connector_settings(
    connector_type: str,
) -> tuple[type[BaseModel] | None, tuple[str, ...], str | None]:
    """Look up an installed connector type.

    Returns:
        Its settings model, the objects it supports, and a problem message (None if fine).
    """
    # The registry imports every plugin: do it late.
    from leadsync.connectors.registry import available, load

    installed = available()
    if connector_type not in installed:
        names = ", ".join(sorted(installed)) or "none"
        return None, (), f"unknown connector type {connector_type!r} (installed: {names})"
    try:
        connector_class = load(connector_type)
    except ConfigError as exc:
        return None, (), exc.message
    return (
        connector_class.settings_model,
        tuple(connector_class.capabilities.objects),
        None,
    )


def check_cron(expression: str) -> str | None:
    """Return why ``expression`` is not a valid 5-field cron expression, or None."""
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        return f"invalid cron expression {expression!r} (expected 5 fields, e.g. '*/15 * * * *')"
    return None
