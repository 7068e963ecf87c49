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


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON text."""
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
