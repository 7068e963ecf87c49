"""JSON in and out of the emulators' hot paths (batch bodies of 100-200 records), with orjson.

``loads`` answers exactly what :func:`json.loads` answers: orjson parses the common strict
document, and anything it refuses (NaN literals, a UTF-16 body...) or might read differently
(an int beyond 64 bits) is handed to the standard parser, which answers or raises as before.
:class:`FastJSONResponse` renders the same compact JSON as Starlette's ``JSONResponse``,
falling back to its encoder for values orjson cannot encode (non-string keys, huge ints,
unknown types). Use it for answers without floats: orjson writes a NaN as ``null`` where the
standard encoder refuses it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse

# orjson reads an integer beyond 64 bits as a float where json keeps it exact, so a body with
# 19 digits in a row anywhere (a cheap, conservative test) goes to the standard parser.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_NUMBER = b"0" * 19


def loads(raw: bytes) -> Any:
    """Parse a request body as :func:`json.loads` would.

    Raises:
        ValueError: If the body is not JSON.
    """
    if _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def dump_bytes(content: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes ``JSONResponse`` would send for ``content``."""
    try:
        return orjson.dumps(content)
    except TypeError:
        # Starlette's own rendering (which also refuses NaN and infinities).
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8")


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` rendered with orjson."""

    def render(self, content: Any) -> bytes:
        """Encode ``content``."""
        return dump_bytes(content)
