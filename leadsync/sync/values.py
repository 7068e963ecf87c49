"""Comparing field values across systems that render numbers and blanks differently."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from leadsync.connectors.base import Record


def blank(value: Any) -> bool:
    """True for None, empty or whitespace-only strings, and empty containers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple | set):
        return not value
    return False


def same_value(left: Any, right: Any) -> bool:
    """True when two field values mean the same (``5000000.0`` == ``"5000000"``, "" == None)."""
    if blank(left) and blank(right):
        return True
    if blank(left) or blank(right):
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return str(left).lower() == str(right).lower()
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return _text(left) == _text(right)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        try:
            return Decimal(value.strip()).normalize()
        except InvalidOperation:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """Render a value for a JSON column (audit, snapshots)."""
    if value is None or type(value) in _PLAIN:  # the common case, before the isinstance chain
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def record_payload(record: Record) -> dict[str, Any]:
    """A source record as a dead letter keeps it, enough to replay it."""
    return {
        "object": record.object,
        "id": record.id,
        "updated_at": record.updated_at.isoformat(),
        "fields": jsonable(dict(record.fields)),
    }
