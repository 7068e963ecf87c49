"""Field-level validation and coercion of sObject writes, raising Salesforce error codes."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from leadsync.sandbox.salesforce.ids import is_valid_id, parse_datetime, to18
from leadsync.sandbox.salesforce.schema import FieldDef, ObjectDef

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class SaveError(Exception):
    """A per-record failure, in Salesforce's ``{statusCode, message, fields}`` shape."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or []

    def as_error(self) -> dict[str, Any]:
        """The error entry of a SaveResult."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def as_api_error(self) -> dict[str, Any]:
        """The error entry of a REST error body."""
        return {"message": self.message, "errorCode": self.code, "fields": self.fields}


def _coerce_text(fdef: FieldDef, value: Any) -> str | None:
    text = value if isinstance(value, str) else str(value)
    if text == "":
        return None
    if fdef.length and len(text) > fdef.length:
        raise SaveError(
            "STRING_TOO_LONG",
            f"{fdef.label or fdef.name}: data value too large: {text[:40]}... "
            f"(max length={fdef.length})",
            [fdef.name],
        )
    if fdef.type == "email" and not _EMAIL.match(text):
        raise SaveError(
            "INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {text}", [fdef.name]
        )
    if fdef.restricted and text not in fdef.picklist:
        raise SaveError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{fdef.name}: bad value for restricted picklist field: {text}",
            [fdef.name],
        )
    if fdef.type in ("reference", "id"):
        if not is_valid_id(text):
            raise SaveError(
                "MALFORMED_ID", f"{fdef.name}: id value of incorrect type: {text}", [fdef.name]
            )
        return to18(text)
    return text


def _bad_type(fdef: FieldDef, value: Any) -> SaveError:
    return SaveError(
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{fdef.name}: value not of required type: {value}",
        [fdef.name],
    )


def coerce(fdef: FieldDef, value: Any) -> Any:
    """Convert a JSON or CSV value to the stored form of ``fdef``.

    Raises:
        SaveError: If the value does not fit the field.
    """
    if value is None:
        return None
    kind = fdef.type
    try:
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise _bad_type(fdef, value)
        if kind == "int":
            if isinstance(value, bool):
                raise _bad_type(fdef, value)
            return None if value == "" else int(float(value))
        if kind in ("currency", "double", "percent"):
            if isinstance(value, bool):
                raise _bad_type(fdef, value)
            return None if value == "" else float(value)
        if kind == "datetime":
            return value if isinstance(value, datetime) else parse_datetime(str(value))
    except (TypeError, ValueError) as exc:
        raise _bad_type(fdef, value) from exc
    return _coerce_text(fdef, value)


Converter = Callable[[Any], Any]
_NOT_TEXT = frozenset({"boolean", "int", "currency", "double", "percent", "datetime"})


def _text_or_none(fdef: FieldDef, value: Any) -> Any:
    return None if value is None else _coerce_text(fdef, value)


# Every int up to 2**53 survives ``int(float(value))`` unchanged, so such JSON ints need no
# conversion; larger ones take the general path, which may round them as it always did.
_EXACT_INT = 2**53


def _int_converter(fdef: FieldDef) -> Converter:
    def as_int(value: Any) -> Any:
        if type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:
            return value
        return coerce(fdef, value)

    return as_int


def _email_converter(fdef: FieldDef) -> Converter:
    length, slow = fdef.length, functools.partial(_text_or_none, fdef)

    def as_email(value: Any) -> Any:
        # The common valid address in one test; anything else gets _coerce_text's answer.
        if type(value) is str and value and len(value) <= length and _EMAIL.match(value):
            return value
        return slow(value)

    return as_email


def _converter(fdef: FieldDef) -> Converter:
    """The coercion of ``fdef`` as one call; common field kinds get a short closure."""
    if fdef.type == "int":
        return _int_converter(fdef)
    if fdef.type in _NOT_TEXT:
        return functools.partial(coerce, fdef)
    if fdef.type == "email" and fdef.length and not fdef.restricted:
        return _email_converter(fdef)
    if fdef.type == "email" or fdef.restricted or fdef.type in ("reference", "id"):
        return functools.partial(_text_or_none, fdef)
    length = fdef.length

    def plain_text(value: Any) -> str | None:
        # Same checks and messages as _coerce_text for a field with only a length limit.
        if value is None:
            return None
        text = value if isinstance(value, str) else str(value)
        if length and len(text) > length:
            return _coerce_text(fdef, text)  # raises STRING_TOO_LONG
        return text or None

    return plain_text


def _plain_limit(fdef: FieldDef) -> int:
    """Longest string stored as is (plain text fields), or -1 when values need the converter."""
    if fdef.type in _NOT_TEXT or fdef.type in ("email", "reference", "id") or fdef.restricted:
        return -1
    return fdef.length or sys.maxsize


@functools.cache
def _writable(odef: ObjectDef, creating: bool) -> dict[str, tuple[str, Converter, int]]:
    """Key (exact or lower-case) to (name, converter, plain text limit) of writable fields.

    Built once per object and verb, so a write costs one dictionary hit per field instead of
    a case-insensitive lookup, a permission check and a dispatch on the field type.
    """
    table: dict[str, tuple[str, Converter, int]] = {}
    for fdef in odef.fields.values():
        if not (fdef.createable if creating else fdef.updateable):
            continue
        entry = (fdef.name, _converter(fdef), _plain_limit(fdef))
        table[fdef.name] = table[fdef.name.lower()] = entry
    return table


def _refuse(odef: ObjectDef, key: str, creating: bool) -> SaveError:
    """The error for a key that names no writable field."""
    fdef = odef.field_ci(key)
    if fdef is None:
        return SaveError(
            "INVALID_FIELD", f"No such column '{key}' on sobject of type {odef.name}", [key]
        )
    verb = "create" if creating else "update"
    return SaveError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to {verb} fields: {fdef.name}. Please check the security settings.",
        [fdef.name],
    )


def clean(
    odef: ObjectDef, data: Mapping[str, Any], *, creating: bool, skip_empty: bool = False
) -> dict[str, Any]:
    """Validate the writable fields in ``data`` and return them coerced, by canonical name.

    Args:
        odef: The object written to.
        data: Field name (any case) to value; an ``attributes`` key is ignored.
        creating: True for inserts (checks createable), False for updates (updateable).
        skip_empty: Ignore empty strings (Bulk API CSV semantics: empty means unchanged).

    Raises:
        SaveError: INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE or a value error.
    """
    find = _writable(odef, creating).get
    out: dict[str, Any] = {}
    for key, value in data.items():
        if skip_empty and value == "":
            continue
        entry = find(key)
        if entry is None:
            if key == "attributes":
                continue
            entry = find(key.lower())
            if entry is None:
                raise _refuse(odef, key, creating)
        name, convert, limit = entry
        if type(value) is str and len(value) <= limit:
            out[name] = value or None  # plain text within its length: as the converter says
        else:
            out[name] = convert(value)
    return out


def check_required(odef: ObjectDef, record: Mapping[str, Any]) -> None:
    """Raise REQUIRED_FIELD_MISSING when a required field of ``record`` is empty."""
    missing = [name for name in odef.required if record.get(name) in (None, "")]
    if missing:
        raise SaveError(
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )
