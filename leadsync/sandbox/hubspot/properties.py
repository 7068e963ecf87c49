"""Property definitions of emulated contacts and companies, and value validation.

Types and field types follow the Properties API (properties-v3.json ``Property``): ``type`` is
one of string, number, date, datetime, enumeration, bool; ``fieldType`` is the form control.
Validation reproduces HubSpot's per-value error codes (PROPERTY_DOESNT_EXIST, INVALID_OPTION,
INVALID_EMAIL, READ_ONLY_VALUE...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class PropertyDef:
    """One property of an object type (the subset of HubSpot's ``Property`` we emulate)."""

    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    group_name: str = "contactinformation"
    options: tuple[str, ...] = ()
    read_only: bool = False
    text_hint: str | None = None
    unique: bool = False
    option_labels: dict[str, str] = field(default_factory=dict, compare=False)


def _enum(name: str, label: str, values: str, field_type: str = "select", **kw: Any) -> PropertyDef:
    return PropertyDef(name, label, "enumeration", field_type, options=tuple(values.split()), **kw)


_SHARED = (
    PropertyDef("hs_object_id", "Record ID", "number", "number", read_only=True, unique=True),
    PropertyDef("createdate", "Create Date", "datetime", "date"),
    PropertyDef(
        "hs_merged_object_ids", "Merged record IDs", "enumeration", "checkbox", read_only=True
    ),
    PropertyDef("phone", "Phone Number", field_type="phonenumber", text_hint="phone_number"),
    PropertyDef("city", "City"),
    PropertyDef("state", "State/Region"),
    PropertyDef("country", "Country/Region"),
    PropertyDef("zip", "Postal Code", text_hint="postal_code"),
    PropertyDef("address", "Street Address"),
    PropertyDef("website", "Website URL", text_hint="domain_name"),
    PropertyDef("annualrevenue", "Annual Revenue", "number", "number"),
    PropertyDef("hubspot_owner_id", "Contact owner", "enumeration", "select"),
    _enum(
        "lifecyclestage",
        "Lifecycle Stage",
        "subscriber lead marketingqualifiedlead salesqualifiedlead opportunity customer "
        "evangelist other",
        "radio",
    ),
)

_INDUSTRIES = (
    "ACCOUNTING AIRLINES_AVIATION APPAREL_FASHION AUTOMOTIVE BANKING BIOTECHNOLOGY "
    "COMPUTER_SOFTWARE CONSTRUCTION CONSUMER_GOODS EDUCATION_MANAGEMENT FINANCIAL_SERVICES "
    "FOOD_BEVERAGES HOSPITAL_HEALTH_CARE INFORMATION_TECHNOLOGY_AND_SERVICES INSURANCE "
    "INTERNET LEGAL_SERVICES LOGISTICS_AND_SUPPLY_CHAIN MARKETING_AND_ADVERTISING "
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING REAL_ESTATE RETAIL TELECOMMUNICATIONS"
)

CONTACT_PROPERTIES: tuple[PropertyDef, ...] = (
    *_SHARED,
    PropertyDef("email", "Email", text_hint="email", unique=True),
    PropertyDef("firstname", "First Name"),
    PropertyDef("lastname", "Last Name"),
    PropertyDef("mobilephone", "Mobile Phone Number", field_type="phonenumber"),
    PropertyDef("company", "Company Name"),
    PropertyDef("jobtitle", "Job Title"),
    PropertyDef("lastmodifieddate", "Last Modified Date", "datetime", "date", read_only=True),
    PropertyDef("hs_additional_emails", "Additional email addresses", "enumeration", "checkbox"),
    PropertyDef("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox"),
    PropertyDef("associatedcompanyid", "Primary Associated Company ID", "number", "number"),
    PropertyDef("date_of_birth", "Date of birth", "date", "date"),
    _enum(
        "hs_lead_status",
        "Lead Status",
        "NEW OPEN IN_PROGRESS OPEN_DEAL UNQUALIFIED ATTEMPTED_TO_CONTACT CONNECTED BAD_TIMING",
    ),
    _enum(
        "hs_analytics_source",
        "Original Source",
        "ORGANIC_SEARCH PAID_SEARCH EMAIL_MARKETING SOCIAL_MEDIA REFERRALS OTHER_CAMPAIGNS "
        "DIRECT_TRAFFIC OFFLINE PAID_SOCIAL",
        read_only=True,
    ),
)

COMPANY_PROPERTIES: tuple[PropertyDef, ...] = (
    *_SHARED,
    PropertyDef("name", "Company name", group_name="companyinformation"),
    PropertyDef("domain", "Company Domain Name", text_hint="domain_name"),
    PropertyDef("description", "Description", field_type="textarea"),
    PropertyDef("numberofemployees", "Number of Employees", "number", "number"),
    PropertyDef("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", read_only=True),
    _enum("industry", "Industry", _INDUSTRIES),
)


@functools.lru_cache(maxsize=1024)
def iso_ms(ms: int) -> str:
    """Render epoch milliseconds as HubSpot's ISO form (``2019-10-30T03:30:17.883Z``)."""
    # Cached: a write renders its millisecond four times (two properties, createdAt, updatedAt).
    seconds, millis = divmod(ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=8192)
def _iso_second(seconds: int) -> str:
    # Writes come in bursts within the same second; formatting each second once is what makes
    # 100-record batches cheap.
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_ms(value: str) -> int | None:
    """Parse epoch milliseconds or an ISO date/datetime into epoch ms; None if unparseable."""
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _problem(name: str, code: str, message: str) -> dict[str, Any]:
    return {"name": name, "error": code, "message": message}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check(prop: PropertyDef, text: str, owners: set[str]) -> tuple[str, dict[str, Any] | None]:
    """Return the stored form of ``text`` for ``prop``, or a problem."""
    name = prop.name
    if prop.text_hint == "email" and not _EMAIL.match(text):
        return text, _problem(name, "INVALID_EMAIL", f"Email address {text} is invalid")
    if prop.type == "number":
        try:
            float(text)
        except ValueError:
            return text, _problem(name, "INVALID_DOUBLE", f"{text} was not a valid number.")
    elif prop.type in ("date", "datetime"):
        ms = parse_ms(text)
        if ms is None:
            return text, _problem(name, "INVALID_DATE", f"{text} was not a valid date.")
        return (iso_ms(ms)[:10] if prop.type == "date" else iso_ms(ms)), None
    elif prop.type == "bool" and text.lower() not in ("true", "false"):
        return text, _problem(name, "INVALID_BOOLEAN", f"{text} was not a valid boolean.")
    elif prop.type == "enumeration":
        allowed = set(prop.options) or (owners if name == "hubspot_owner_id" else set())
        chosen = [v for v in text.split(";") if v] if prop.field_type == "checkbox" else [text]
        bad = [v for v in chosen if allowed and v not in allowed]
        if bad:
            message = f"{bad[0]} was not one of the allowed options: [{', '.join(sorted(allowed))}]"
            return text, _problem(name, "INVALID_OPTION", message)
    return (text.lower() if prop.text_hint == "email" else text), None


def clean_values(
    catalog: Mapping[str, PropertyDef],
    values: Mapping[str, Any],
    *,
    owners: set[str],
    allow_read_only: bool = False,
) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """Validate and normalise incoming property values.

    Args:
        catalog: Property name to definition for the object type.
        values: Raw values from the request (strings, numbers, booleans or null).
        owners: Existing owner ids (the options of ``hubspot_owner_id``).
        allow_read_only: Accept read-only properties (seeding and merges).

    Returns:
        ``(clean, problems)``: normalised values (None or "" clears a property) and one
        problem dictionary (``name``, ``error``, ``message``) per rejected value.
    """
    clean: dict[str, str | None] = {}
    problems: list[dict[str, Any]] = []
    for name, raw in values.items():
        prop = catalog.get(name)
        if prop is None:
            problems.append(
                _problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            )
            continue
        if prop.read_only and not allow_read_only:
            message = f'"{name}" is a read only property; its value cannot be set.'
            problems.append(_problem(name, "READ_ONLY_VALUE", message))
            continue
        if raw is None or raw == "":
            clean[name] = None
            continue
        if type(raw) is str and prop.type == "string" and prop.text_hint != "email":
            clean[name] = raw  # what _check answers for plain text, without the calls
            continue
        text, problem = _check(prop, _as_text(raw), owners)
        if problem is not None:
            problems.append(problem)
        else:
            clean[name] = text
    return clean, problems
