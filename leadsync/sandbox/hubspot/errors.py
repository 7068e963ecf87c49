"""HubSpot-shaped API errors raised by the emulator's state and routes.

The JSON body follows the ``Error`` schema of the public CRM v3 specs
(/work/shared/specs/hubspot/contacts-v3.json ``components.schemas.Error``): ``status``,
``message``, ``correlationId``, ``category`` and, where HubSpot sends them, ``errors`` and
``context``. Messages copy HubSpot's own wording where leadsync parses them (e.g. the
``Existing ID`` of a duplicate contact).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any


class HubSpotError(Exception):
    """An error answer of the emulated API.

    Args:
        status: HTTP status code.
        category: HubSpot's error category (``VALIDATION_ERROR``, ``OBJECT_NOT_FOUND``...).
        message: Human-readable message (HubSpot wording).
        errors: Optional ``ErrorDetail`` dictionaries.
        context: Optional context (name to list of strings).
        headers: Extra response headers (e.g. ``Retry-After``).
        extra: Extra top-level body fields (e.g. ``policyName`` of a rate-limit answer).
    """

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        context: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.errors = [dict(e) for e in errors] if errors else None
        self.context = dict(context) if context else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """Return the JSON body HubSpot sends for this error."""
        out: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        if self.errors is not None:
            out["errors"] = self.errors
        if self.context is not None:
            out["context"] = self.context
        out.update(self.extra)
        return out


def not_found(object_id: str) -> HubSpotError:
    """404 for an object id (or id-property value) that does not resolve."""
    return HubSpotError(
        404,
        "OBJECT_NOT_FOUND",
        "Object not found.  objectId are usually numeric.",
        context={"id": [object_id]},
    )


def validation(message: str, *, context: Mapping[str, list[str]] | None = None) -> HubSpotError:
    """400 VALIDATION_ERROR for a malformed request."""
    return HubSpotError(400, "VALIDATION_ERROR", message, context=context)


def invalid_properties(problems: Sequence[Mapping[str, Any]]) -> HubSpotError:
    """400 VALIDATION_ERROR listing invalid property values.

    Args:
        problems: One entry per invalid value, each with ``name``, ``error`` (HubSpot's code,
            e.g. ``PROPERTY_DOESNT_EXIST``), ``message`` and optionally ``index`` (batch input).
    """
    # HubSpot embeds the per-property results as JSON in the message and repeats them in
    # ``errors``; clients have been seen to parse either.
    listed = [
        {
            "isValid": False,
            "message": p["message"],
            "error": p["error"],
            "name": p["name"],
            "localizedErrorMessage": p["message"],
        }
        for p in problems
    ]
    details = []
    for p in problems:
        context = {"propertyName": [p["name"]]}
        if "index" in p:
            context["inputIndex"] = [str(p["index"])]
        details.append({"message": p["message"], "code": p["error"], "context": context})
    return HubSpotError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(listed, separators=(",", ":")),
        errors=details,
    )


def contact_exists(existing_id: int) -> HubSpotError:
    """409 CONFLICT for a contact whose email is already taken."""
    return HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def unauthorized(*, expired: bool) -> HubSpotError:
    """401 for a missing, unknown or expired access token (never echoes the token)."""
    if expired:
        message = "The OAuth token used to make this call expired 0 minute(s) ago."
    else:
        message = (
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
            "oauth-overview"
        )
    return HubSpotError(401, "INVALID_AUTHENTICATION", message)


def rate_limited(retry_after: float, *, policy: str = "TEN_SECONDLY_ROLLING") -> HubSpotError:
    """429 RATE_LIMITS with ``Retry-After`` (whole seconds, as urllib3 parses it).

    Args:
        retry_after: Seconds until a request would be accepted again.
        policy: HubSpot's ``policyName``: ``TEN_SECONDLY_ROLLING``, ``SECONDLY`` or ``DAILY``.
    """
    seconds = max(1, int(-(-retry_after // 1)))
    return HubSpotError(
        429,
        "RATE_LIMITS",
        f"You have reached your {policy.lower()} limit.",
        headers={"Retry-After": str(seconds)},
        extra={"errorType": "RATE_LIMIT", "policyName": policy},
    )


def unavailable() -> HubSpotError:
    """503 for an injected outage."""
    return HubSpotError(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is temporarily unavailable. Please retry.",
        headers={"Retry-After": "1"},
    )
