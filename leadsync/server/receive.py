"""Request-level checks of a webhook delivery: size, content type, signature, event id."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from leadsync.server.intake import (
    BadPayload,
    body_event_id,
    header_event_id,
    lead_from_payload,
    parse_json,
)
from leadsync.server.settings import WebhookSourceConfig
from leadsync.server.signatures import verify_hmac, verify_hubspot_v3, verify_standard


def check_content_type(request: Request) -> None:
    """Accept ``application/json`` and ``application/*+json`` bodies only.

    Raises:
        BadPayload: 415.
    """
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise BadPayload(415, "content_type", "content type must be application/json")


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse an over-long body from its ``Content-Length`` before reading it.

    Raises:
        BadPayload: 413 over ``limit``, 400 for a Content-Length that is no number.
    """
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise BadPayload(400, "bad_length", "Content-Length is not a number")
    if int(declared) > limit:
        raise BadPayload(413, "too_large", f"body exceeds {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """Read the raw body, stopping as soon as it grows past ``limit`` bytes.

    Raises:
        BadPayload: 413 when the body is too large (chunked bodies declare no length).
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadPayload(413, "too_large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def request_uri(request: Request, config: WebhookSourceConfig) -> str:
    """Return the URL as the sender called it (HubSpot v3 signs it).

    Built from the raw path and query as received, since a decoded path would not match
    the sender's; ``public_url`` replaces scheme, host and path behind a rewriting proxy.
    """
    query = request.scope.get("query_string", b"").decode("latin-1")
    if config.public_url:
        base = config.public_url
    else:
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
        host = request.headers.get("host", "")
        base = f"{request.url.scheme}://{host}{raw_path.decode('latin-1')}"
    return f"{base}?{query}" if query else base


def verify_request(
    config: WebhookSourceConfig, request: Request, body: bytes, *, now: float
) -> str | None:
    """Check the signature by the source's scheme.

    Returns:
        The sender-given event id (Standard Webhooks), else None.

    Raises:
        SignatureError: Not authentic (401).
    """
    keys = config.keys()
    tolerance = float(config.tolerance_seconds)
    if config.scheme == "standard":
        return verify_standard(keys, request.headers, body, now=now, tolerance=tolerance)
    if config.scheme == "hubspot_v3":
        uri = request_uri(request, config)
        verify_hubspot_v3(
            keys,
            request.headers,
            body,
            method=request.method,
            uri=uri,
            now=now,
            tolerance=tolerance,
        )
        return None
    verify_hmac(keys, request.headers, body, config.header)
    return None


def event_of(
    config: WebhookSourceConfig, body: bytes, sender_id: str | None, *, received_at: datetime
) -> tuple[str, str]:
    """Validate an authentic body and return its (event id, text to store).

    Raises:
        BadPayload: 400 for malformed JSON, 422 for a payload that maps to no lead.
    """
    payload = parse_json(body)
    if config.require_lead:
        lead_from_payload(payload, received_at=received_at)
    event_id = header_event_id(sender_id) if sender_id else body_event_id(payload, body)
    return event_id, body.decode("utf-8")
