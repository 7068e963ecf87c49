"""Email address normalisation (email-validator) and the match key used to find duplicates."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from leadsync.mapping.normalize._text import clean_text

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_MAX_INPUT = 512  # RFC 5321 caps an address at 254 octets; anything far longer is junk
# Plain ASCII addresses that email-validator certainly accepts, and normalises only by
# lower-casing the domain: checking them ourselves is ~50x faster. Anything else (IDN,
# quoting, display names, "--" labels, special-use TLDs) goes to the library.
_PLAIN = re.compile(
    r"([A-Za-z0-9_%+-]{1,64}(?:\.[A-Za-z0-9_%+-]{1,64})*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plain_email(text: str) -> str | None:
    match = _PLAIN.fullmatch(text)
    if match is None or len(text) > 254:
        return None
    local, domain = match.groups()
    if len(local) > 64 or len(domain) > 253 or "--" in domain:
        return None
    if domain.rpartition(".")[2].lower() in _SPECIAL_USE_TLDS:
        return None
    return f"{local}@{domain.lower()}"


# Addresses are mostly unique per person: a small memo catches the repeats within a record
# and a batch; a large one only held every address of a big sync in memory.
@lru_cache(maxsize=4096)
def normalize_email(raw: str | None) -> str | None:
    """Return the canonical form of an email address, or None when it is unusable.

    The domain is lower-cased and IDNA-decoded to Unicode (``xn--mnchen-3ya.de`` becomes
    ``münchen.de``); the local part keeps its case (RFC 5321 lets servers treat it so).
    A ``mailto:`` prefix and a display name (``Ann <ann@example.com>``) are accepted.
    Deliverability (DNS) is never checked.

    Args:
        raw: The address as typed.

    Returns:
        The normalised address, or None.
    """
    text = clean_text(raw)
    if text is None or len(text) > _MAX_INPUT:
        return None
    if text[:7].lower() == "mailto:":
        text = text[7:].strip()
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        result = validate_email(
            text, check_deliverability=False, allow_display_name=True, allow_smtputf8=True
        )
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
    normalized: str = result.normalized
    return normalized


def email_ascii(raw: str | None) -> str | None:
    """Return the address with an ASCII (punycode) domain, for systems that reject IDN.

    Args:
        raw: The address as typed or already normalised.

    Returns:
        ``local@xn--...`` or None when the address is unusable.
    """
    email = normalize_email(raw)
    if email is None:
        return None
    local, _, domain = email.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return f"{local}@{ascii_domain}"


@lru_cache(maxsize=4096)  # unique per person, like normalize_email
def email_match_key(email: str | None) -> str | None:
    """Return a key under which two spellings of the same mailbox compare equal.

    Folds case, drops ``+tag`` sub-addresses, removes dots in Gmail local parts and
    treats ``googlemail.com`` as ``gmail.com``. For matching only: never write it back.

    Args:
        email: An address in any spelling.

    Returns:
        The key, or None when the address is unusable.
    """
    normalized = normalize_email(email)
    if normalized is None:
        return None
    local, _, domain = normalized.rpartition("@")
    local = local.casefold().split("+", 1)[0]
    domain = domain.casefold()
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    if not local:
        return None
    return f"{local}@{domain}"


def validate_email_value(raw: str | None) -> str | None:
    """Explain why ``raw`` is not a usable address (None when it is fine or empty).

    Args:
        raw: The address as typed.

    Returns:
        The library's reason, or None.
    """
    text = clean_text(raw)
    if text is None:
        return None
    try:
        validate_email(text, check_deliverability=False, allow_display_name=True)
    except (EmailNotValidError, ValueError, UnicodeError) as exc:
        return str(exc)
    return None
