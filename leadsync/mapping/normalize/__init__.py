"""Normalisers: pure, idempotent functions that turn messy values into canonical ones.

Each returns None for unusable input and never raises on arbitrary text; the mapping layer
reports the failure. These names are a contract other packages import.
"""

from __future__ import annotations

from leadsync.mapping.normalize.company import company_key, normalize_company
from leadsync.mapping.normalize.country import normalize_country, normalize_region
from leadsync.mapping.normalize.dates import parse_datetime
from leadsync.mapping.normalize.domain import (
    FREE_MAIL_DOMAINS,
    domain_from_email,
    domain_from_website,
    is_free_mail,
    registrable_domain,
)
from leadsync.mapping.normalize.email import (
    email_ascii,
    email_match_key,
    normalize_email,
    validate_email_value,
)
from leadsync.mapping.normalize.names import (
    NameParts,
    join_name,
    name_key,
    normalize_person_name,
    split_name,
)
from leadsync.mapping.normalize.phone import is_valid_phone, phone_e164, phone_region
from leadsync.mapping.normalize.picklist import PicklistMap, picklist_key

_VALUE_CACHES = (
    company_key,
    domain_from_website,
    email_match_key,
    normalize_company,
    normalize_country,
    normalize_email,
    normalize_person_name,
    normalize_region,
    phone_e164,
    registrable_domain,
    split_name,
)


def clear_caches() -> None:
    """Forget memoised results (benchmarks use it to measure cold caches)."""
    for func in _VALUE_CACHES:
        func.cache_clear()


__all__ = [
    "FREE_MAIL_DOMAINS",
    "clear_caches",
    "NameParts",
    "PicklistMap",
    "company_key",
    "domain_from_email",
    "domain_from_website",
    "email_ascii",
    "email_match_key",
    "is_free_mail",
    "is_valid_phone",
    "join_name",
    "name_key",
    "normalize_company",
    "normalize_country",
    "normalize_email",
    "normalize_person_name",
    "normalize_region",
    "parse_datetime",
    "phone_e164",
    "phone_region",
    "picklist_key",
    "registrable_domain",
    "split_name",
    "validate_email_value",
]
