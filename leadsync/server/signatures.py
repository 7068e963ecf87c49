"""Webhook signature schemes: Standard Webhooks, HubSpot v3 and a plain body HMAC.

Every check runs on the raw body bytes (never on re-serialised JSON) and compares digests with
:func:`hmac.compare_digest`. A failure raises :class:`SignatureError` whose ``reason`` is a
short machine word for metrics and the 401 answer; nothing secret is ever in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

_HUBSPOT_DECODE = {
    # HubSpot signs the URI with these escapes decoded (its request-validation docs).
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_MAX_SIGNATURE_HEADER = 4096


class SignatureError(Exception):
    """A request's signature or timestamp is missing, malformed, stale or wrong.

    Args:
        reason: One word: ``missing_headers``, ``bad_timestamp``, ``stale_timestamp``,
            ``bad_signature``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_time(sent_at: float, now: float, tolerance: float) -> None:
    if abs(now - sent_at) > tolerance:
        raise SignatureError("stale_timestamp")


def _parse_int(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise SignatureError("bad_timestamp")
    return int(text)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise SignatureError("missing_headers")
    return value


def sign_standard(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``v1,<base64>`` Standard Webhooks signature of one message.

    Args:
        key: The decoded secret (see :func:`leadsync.server.settings.standard_key`).
        msg_id: The ``webhook-id``.
        timestamp: The ``webhook-timestamp`` (Unix seconds).
        body: The raw body.
    """
    signed = msg_id.encode("utf-8") + b"." + str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_standard(
    keys: Sequence[bytes], headers: Mapping[str, str], body: bytes, *, now: float, tolerance: float
) -> str:
    """Verify a Standard Webhooks request and return its ``webhook-id``.

    ``headers`` must be case-insensitive (Starlette's are). Any ``v1`` entry of the
    space-separated ``webhook-signature`` list matching any key passes, which is what lets a
    sender and a receiver rotate secrets independently.

    Raises:
        SignatureError: Why the request is not authentic.
    """
    msg_id = _header(headers, "webhook-id")
    timestamp = _parse_int(_header(headers, "webhook-timestamp"))
    provided = _header(headers, "webhook-signature")
    if len(provided) > _MAX_SIGNATURE_HEADER:
        raise SignatureError("bad_signature")
    _check_time(timestamp, now, tolerance)
    candidates = [
        entry.partition(",")[2].encode("ascii", "replace")
        for entry in provided.split(" ")
        if entry.startswith("v1,")
    ]
    for key in keys:
        expected = sign_standard(key, msg_id, timestamp, body).partition(",")[2].encode("ascii")
        for candidate in candidates:
            if hmac.compare_digest(expected, candidate):
                return msg_id
    raise SignatureError("bad_signature")


def hubspot_signed_uri(uri: str) -> str:
    """Return ``uri`` as HubSpot signs it: the documented set of escapes decoded."""
    return _ESCAPE.sub(lambda m: _HUBSPOT_DECODE.get(m.group(0).upper(), m.group(0)), uri)


def sign_hubspot_v3(key: bytes, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """Return the ``X-HubSpot-Signature-v3`` value for one request.

    Args:
        key: The app's client secret, UTF-8 encoded.
        method: The HTTP method, e.g. ``POST``.
        uri: The full URL HubSpot called (scheme, host, path and query).
        body: The raw body.
        timestamp: The ``X-HubSpot-Request-Timestamp`` header (epoch milliseconds) as sent.
    """
    signed = (method.upper() + hubspot_signed_uri(uri)).encode("utf-8") + body
    signed += timestamp.encode("ascii")
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def verify_hubspot_v3(
    keys: Sequence[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    uri: str,
    now: float,
    tolerance: float,
) -> None:
    """Verify a HubSpot v3 signed request.

    Raises:
        SignatureError: Why the request is not authentic.
    """
    provided = _header(headers, "x-hubspot-signature-v3")
    stamp = _header(headers, "x-hubspot-request-timestamp")
    _check_time(_parse_int(stamp) / 1000.0, now, tolerance)
    candidate = provided.strip().encode("ascii", "replace")
    for key in keys:
        expected = sign_hubspot_v3(key, method, uri, body, stamp).encode("ascii")
        if hmac.compare_digest(expected, candidate):
            return
    raise SignatureError("bad_signature")


def sign_hmac(key: bytes, body: bytes) -> str:
    """Return ``sha256=<hex>`` for the plain body-HMAC scheme."""
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_hmac(
    keys: Sequence[bytes], headers: Mapping[str, str], body: bytes, header: str
) -> None:
    """Verify a hex HMAC-SHA256 of the body in ``header`` (``sha256=`` prefix optional).

    Raises:
        SignatureError: Why the request is not authentic.
    """
    provided = _header(headers, header).strip()
    candidate = provided.removeprefix("sha256=").lower().encode("ascii", "replace")
    for key in keys:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
        if hmac.compare_digest(expected, candidate):
            return
    raise SignatureError("bad_signature")
