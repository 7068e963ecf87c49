"""Fast JSON for the hot paths: the store's JSON columns and the CRM connectors' batch bodies.

Every batch encodes thousands of JSON values; orjson does that several times faster than the
standard library. Values orjson refuses (an exotic type a hook put in a custom field, an int
beyond 64 bits) fall back to the standard encoder, so nothing that stored before fails now.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


class Encoded:
    """A value already encoded as JSON (by :func:`dump_bytes`, in another process, say).

    :func:`dumps` returns its text as it is, so a JSON column stores it without encoding the
    value again; :attr:`value` decodes it for a reader that needs the value itself.
    """

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

    @property
    def value(self) -> Any:
        """The value decoded."""
        return loads(self.json)


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON text (an :class:`Encoded` value's text as it is)."""
    if type(value) is Encoded:
        return value.json.decode()
    return dump_bytes(value).decode()


def dump_bytes(value: Any) -> bytes:
    """Encode ``value`` as compact UTF-8 JSON (a request body)."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(text: str | bytes) -> Any:
    """Decode JSON text (raises ``ValueError`` when it is not JSON)."""
    return orjson.loads(text)
