"""What the receiver checks in a body once it is authentic: JSON, a usable lead, the event id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadsync.connectors.forms import payload_to_record
from leadsync.errors import RejectedRecordError
from leadsync.mapping.compile import fold_key
from leadsync.mapping.model import Lead
from leadsync.mapping.normalize.email import normalize_email
from leadsync.mapping.normalize.phone import phone_e164

_EMAIL_KEYS = frozenset({"email", "emailaddress", "workemail", "businessemail", "mail"})
_PHONE_KEYS = frozenset(
    {"phone", "phonenumber", "mobilephone", "mobile", "mobilenumber", "tel", "telephone"}
)
_MAX_EVENT_ID = 255


class BadPayload(Exception):  # noqa: N818 - an answer to send, not an error of ours
    """The body cannot be accepted; ``status`` and ``reason`` become the HTTP answer."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


def parse_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON body.

    Raises:
        BadPayload: 400 with the decoder's reason.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadPayload(400, "bad_json", f"body is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        detail = f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise BadPayload(400, "bad_json", detail) from None
    except RecursionError:
        raise BadPayload(400, "bad_json", "malformed JSON: nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's digit limit
        raise BadPayload(400, "bad_json", f"malformed JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def lead_from_payload(payload: Any, *, received_at: datetime) -> Lead:
    """Return the contact part of the lead a form payload describes.

    Only what decides acceptance is mapped (a valid email or phone); the sync engine maps
    the rest with the project's mapping when it processes the event.

    Raises:
        BadPayload: 422 when the payload is no form submission or has no email nor phone.
    """
    try:
        record = payload_to_record(payload, received_at=received_at)
    except RejectedRecordError as exc:
        raise BadPayload(422, "no_lead", exc.message) from None
    except (ValueError, OverflowError, OSError):
        # e.g. a submission time far outside the calendar (the forms connector lets it raise)
        raise BadPayload(422, "no_lead", "payload holds a value out of range") from None
    email = _first(record.fields, _EMAIL_KEYS, normalize_email)
    phone = _first(record.fields, _PHONE_KEYS, phone_e164)
    if email is None and phone is None:
        raise BadPayload(422, "no_lead", "payload carries no valid email address or phone number")
    return Lead(email=email, phone=phone)


def _first(fields: Mapping[str, Any], keys: frozenset[str], clean: Any) -> str | None:
    for name, value in fields.items():
        if fold_key(name.rpartition(".")[2]) in keys and isinstance(value, str | int):
            cleaned: str | None = clean(str(value))
            if cleaned is not None:
                return cleaned
    return None


def body_event_id(payload: Any, body: bytes) -> str:
    """Return the event id of a body that carries no id header.

    HubSpot change notifications carry ``eventId`` (one object, or an array of them); any
    other body is identified by its SHA-256, so an identical redelivery is a duplicate.
    """
    ids = _hubspot_event_ids(payload)
    if ids:
        joined = "hubspot:" + ",".join(ids)
        if len(joined) <= _MAX_EVENT_ID:
            return joined
        return "hubspot-sha256:" + hashlib.sha256(joined.encode()).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _hubspot_event_ids(payload: Any) -> list[str]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, Mapping) and "eventId" in i for i in items):
        return []
    return sorted(str(i["eventId"]) for i in items)


def header_event_id(value: str) -> str:
    """Validate a sender-given id (the ``webhook-id`` header).

    Raises:
        BadPayload: 400 when it is too long to store.
    """
    if len(value) > _MAX_EVENT_ID:
        raise BadPayload(400, "bad_event_id", f"event id longer than {_MAX_EVENT_ID} chars")
    return value
