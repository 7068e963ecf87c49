"""SOQL built only from escaped literals (simple_salesforce.format_soql), never concatenation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from simple_salesforce.format import format_soql

from leadsync.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")
CURSOR = "SystemModstamp"


def identifier(name: str) -> str:
    """Return ``name`` if it is a safe SOQL identifier (object or field name).

    Raises:
        ConfigError: The name could smuggle SOQL syntax.
    """
    if not _NAME.match(name):
        raise ConfigError(f"not a valid Salesforce API name: {name!r}")
    return name


def incremental(object: str, fields: Sequence[str], since: datetime | None) -> str:  # noqa: A002
    """Records changed at or after ``since`` (inclusive), oldest first, ties by Id.

    ``format_soql`` drops sub-second precision from ``since``, which only widens the window:
    the read stays inclusive and the engine drops the repeats.
    """
    columns = ", ".join(identifier(f) for f in dict.fromkeys(["Id", "IsDeleted", CURSOR, *fields]))
    where = format_soql(" WHERE SystemModstamp >= {}", since) if since is not None else ""
    return (
        format_soql("SELECT {:literal} FROM {:literal}", columns, identifier(object))
        + where
        + " ORDER BY SystemModstamp ASC, Id ASC"
    )


def active_users() -> str:
    """Users who can own records."""
    return "SELECT Id, Email, Name, IsActive FROM User WHERE IsActive = true ORDER BY Id"


def by_values(object: str, field: str, values: Sequence[str]) -> str:  # noqa: A002
    """Ids of records whose ``field`` is one of ``values`` (values quoted by format_soql)."""
    return format_soql(
        "SELECT Id, {:literal} FROM {:literal} WHERE {:literal} IN {}",
        identifier(field),
        identifier(object),
        identifier(field),
        list(values),
    )
