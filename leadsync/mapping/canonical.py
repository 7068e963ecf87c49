"""Canonical field paths of the Lead model, their value kinds and coercion to those kinds."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from leadsync.mapping.model import Lead, Stage
from leadsync.mapping.normalize.dates import parse_datetime

Kind = Literal["str", "int", "decimal", "datetime", "bool", "stage", "any"]
_NOT_MAPPABLE = frozenset({"provenance", "stage_changed_at"})
_NUMBER_JUNK = re.compile(r"[\s,_$€£¥]")
_TRUE = frozenset({"true", "yes", "y", "1", "on", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "off", ""})


@dataclass(frozen=True, slots=True)
class CanonicalField:
    """One mappable place in a Lead: ``email``, ``first_touch.source``, ``custom.budget``."""

    path: str
    group: str | None  # the nested model or dict holding it, if any
    key: str
    kind: Kind


def _kind(annotation: Any) -> Kind | type[BaseModel] | Literal["dict"] | None:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if get_origin(annotation) is dict:
        return "dict"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return annotation
        # Order matters: Stage is a str and bool is an int.
        table: dict[type, Kind] = {
            Stage: "stage",
            bool: "bool",
            int: "int",
            str: "str",
            Decimal: "decimal",
            datetime: "datetime",
        }
        for typ, kind in table.items():
            if issubclass(annotation, typ):
                return kind
    return None


def _table() -> tuple[dict[str, CanonicalField], frozenset[str]]:
    fields: dict[str, CanonicalField] = {}
    open_groups: set[str] = set()
    for name, info in Lead.model_fields.items():
        kind = _kind(info.annotation)
        if name in _NOT_MAPPABLE or kind is None:
            continue
        if kind == "dict":
            open_groups.add(name)
        elif isinstance(kind, type):
            for sub, sub_info in kind.model_fields.items():
                sub_kind = _kind(sub_info.annotation)
                if isinstance(sub_kind, str) and sub_kind != "dict":
                    fields[f"{name}.{sub}"] = CanonicalField(f"{name}.{sub}", name, sub, sub_kind)
        else:
            fields[name] = CanonicalField(name, None, name, kind)
    return fields, frozenset(open_groups)


_FIELDS, _OPEN_GROUPS = _table()


def canonical_field(path: str) -> CanonicalField:
    """Return the canonical field at ``path``.

    Args:
        path: ``email``, ``first_touch.source``, ``custom.<name>``, ``external_ids.<system>``.

    Returns:
        Its description.

    Raises:
        ValueError: the Lead model has no such mappable field.
    """
    if path in _FIELDS:
        return _FIELDS[path]
    group, _, key = path.partition(".")
    if group in _OPEN_GROUPS and key:
        return CanonicalField(path, group, key, "str" if group == "external_ids" else "any")
    known = ", ".join(sorted(_FIELDS))
    raise ValueError(f"unknown canonical field {path!r} (known: {known}; or custom.<name>)")


def to_int(value: Any) -> int:
    """Coerce a number or numeric text (``"1,200"``) to int; raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    return int(number)


def to_decimal(value: Any) -> Decimal:
    """Coerce a number or numeric text (``"$1,234.50"``) to a finite Decimal."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    text = value if isinstance(value, str) else str(value)
    if type(value) is Decimal and value.is_finite() and len(text) <= 64:
        return value  # what parsing its own text gives back: that text has no junk
    try:
        number = Decimal(_NUMBER_JUNK.sub("", text)[:64])
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def to_bool(value: Any) -> bool:
    """Coerce ``true/false``, ``yes/no``, ``1/0`` and booleans to bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a yes/no value")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    raise ValueError(f"not text ({type(value).__name__})")


def _to_datetime(value: Any) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError("not a date/time")
    return parsed


def _to_any(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | Decimal | datetime):
        return value
    raise ValueError(f"not a scalar ({type(value).__name__})")


COERCERS: dict[Kind, Callable[[Any], Any]] = {
    "str": _to_str,
    "int": to_int,
    "decimal": to_decimal,
    "datetime": _to_datetime,
    "bool": to_bool,
    "stage": lambda v: v if isinstance(v, Stage) else Stage(str(v).strip().lower()),
    "any": _to_any,
}
EXPECTED: dict[Kind, str] = {
    "str": "text",
    "int": "a whole number",
    "decimal": "a number",
    "datetime": "a date/time",
    "bool": "true or false",
    "stage": "one of " + ", ".join(s.value for s in Stage),
    "any": "a text, number, boolean or date value",
}
