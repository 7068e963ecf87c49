"""The compact comparison record built once per Lead, and the blocking keys derived from it.

A :class:`MatchKey` holds only what comparisons need, already normalised and interned, so an
index of a million people stays small. :func:`blocking_keys` names the candidate groups a record
belongs to; two records are compared only when they share one of them.
"""

from __future__ import annotations

import operator
import sys
import unicodedata
from dataclasses import dataclass, fields

import jellyfish
import orjson

from leadsync.mapping.model import Lead
from leadsync.mapping.normalize import (
    company_key,
    domain_from_email,
    domain_from_website,
    email_match_key,
    is_free_mail,
    normalize_country,
    phone_e164,
)
from leadsync.sync.matching.nicknames import canonical_first

# Role mailboxes are shared by many people: an exact match on one says little about a person.
ROLE_LOCAL_PARTS = frozenset(
    {
        "info",
        "sales",
        "admin",
        "contact",
        "hello",
        "support",
        "office",
        "team",
        "marketing",
        "billing",
        "enquiries",
        "inquiries",
        "help",
        "noreply",
        "no-reply",
        "hr",
        "jobs",
        "mail",
    }
)


@dataclass(frozen=True, slots=True)
class MatchKey:
    """Normalised, interned fields of one person, ready for blocking and comparison.

    Attributes:
        email: Email match key (plus-tags and Gmail dots folded), or None.
        free_mail: True when the email's domain is a free-mail provider.
        role_email: True when the mailbox is a role address (``info@``, ``sales@``...).
        phone: E.164 phone number, or None.
        first: Folded first given name (first token), or None.
        first_canon: Formal form of ``first`` from the nickname table.
        last: Folded surname, letters only, or None.
        last_phon: Metaphone code of ``last``.
        first_phon: Metaphone code of ``first`` (finds swapped first/last names).
        company: Company key (legal suffixes stripped), or None.
        domain: Business domain from the website or a non-free-mail email, or None.
        country: ISO 3166-1 alpha-2 code, or None.
        city: Folded city name, or None.
        postal: Upper-case postal code without spaces (US ZIP cut to five digits), or None.
    """

    email: str | None
    free_mail: bool
    role_email: bool
    phone: str | None
    first: str | None
    first_canon: str | None
    last: str | None
    last_phon: str | None
    first_phon: str | None
    company: str | None
    domain: str | None
    country: str | None
    city: str | None
    postal: str | None


# The Lead fields build_key reads: two leads that agree on them have the same MatchKey.
KEY_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "website_domain",
    "country",
    "city",
    "postal_code",
)
# Bump when build_key or blocking_keys give other values for the same lead: stored match
# indexes see the new version and rebuild their keys and blocks.
KEY_VERSION = 1

_KEY_SLOTS = tuple(f.name for f in fields(MatchKey))
_key_values = operator.attrgetter(*_KEY_SLOTS)  # all fields as one tuple, in order
_INTERNED = _KEY_SLOTS.index("first")  # build_key interns this field and every one after it


def same_key_fields(a: Lead, b: Lead) -> bool:
    """Tell whether ``a`` and ``b`` agree on every field their MatchKeys are built from."""
    return all(getattr(a, name) == getattr(b, name) for name in KEY_FIELDS)


def pack_key(rec: MatchKey) -> str:
    """Encode ``rec`` as compact JSON text (for the stored index)."""
    return orjson.dumps(_key_values(rec)).decode()


def unpack_key(text: str) -> MatchKey:
    """Decode what :func:`pack_key` made, interned as :func:`build_key` interns.

    Names, employers and places repeat across thousands of keys: interned, the decoded keys a
    stored index keeps between batches share one copy of each.
    """
    values = orjson.loads(text)
    values[_INTERNED:] = [value and sys.intern(value) for value in values[_INTERNED:]]
    return MatchKey(*values)


def _intern(value: str | None) -> str | None:
    return sys.intern(value) if value else None


def fold_letters(raw: str | None) -> str | None:
    """Return lower-case ASCII letters of ``raw`` (accents dropped), or None when none."""
    if not raw:
        return None
    if raw.isascii():
        text = raw.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", raw)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    letters = "".join(ch for ch in text if ch.isalpha())
    return letters or None


def _first_token(raw: str | None) -> str | None:
    if not raw:
        return None
    for token in raw.replace(".", " ").split():
        folded = fold_letters(token)
        if folded:
            return folded
    return None


def _phone(raw: str | None, region: str) -> str | None:
    if not raw:
        return None
    # Fast path: a value already in E.164 (the canonical model's promise) needs no parsing.
    if raw[0] == "+" and raw[1:].isdigit() and 8 <= len(raw) <= 16:
        return raw
    return phone_e164(raw, region)


def _postal(raw: str | None, country: str | None) -> str | None:
    if not raw:
        return None
    text = "".join(ch for ch in raw.upper() if ch.isalnum())
    if country in (None, "US") and len(text) >= 5 and text[:5].isdigit():
        text = text[:5]  # ZIP+4 and plain ZIP name the same place
    return text or None


def _names(lead: Lead) -> tuple[str | None, str | None]:
    first = _first_token(lead.first_name)
    last = fold_letters(lead.last_name)
    if last is None and lead.first_name and " " in lead.first_name.strip():
        # A full name typed into the first-name box: the last word is the surname.
        words = lead.first_name.split()
        first, last = _first_token(words[0]), fold_letters(words[-1])
    return first, last


def build_key(lead: Lead, default_region: str = "US") -> MatchKey:
    """Build the comparison record of one Lead.

    Args:
        lead: The canonical lead (any field may be missing or raw).
        default_region: Region used to read national-format phone numbers.

    Returns:
        The compact, interned :class:`MatchKey`.
    """
    email = email_match_key(lead.email) if lead.email else None
    mail_domain = domain_from_email(email) if email else None
    free = bool(mail_domain) and is_free_mail(mail_domain or "")
    local = email.rpartition("@")[0] if email else ""
    domain = domain_from_website(lead.website_domain) if lead.website_domain else None
    if domain is None and mail_domain and not free:
        domain = mail_domain
    country = normalize_country(lead.country) if lead.country else None
    first, last = _names(lead)
    return MatchKey(
        email=email,
        free_mail=free,
        role_email=local in ROLE_LOCAL_PARTS,
        phone=_phone(lead.phone, country or default_region),
        first=_intern(first),
        first_canon=_intern(canonical_first(first)) if first else None,
        last=_intern(last),
        last_phon=_intern(jellyfish.metaphone(last)) if last else None,
        first_phon=_intern(jellyfish.metaphone(first)) if first else None,
        company=_intern(company_key(lead.company)) if lead.company else None,
        domain=_intern(domain),
        country=_intern(country),
        city=_intern(fold_letters(lead.city)),
        postal=_intern(_postal(lead.postal_code, country)),
    )


def _name_blocks(rec: MatchKey, out: list[str]) -> None:
    if not (rec.last_phon and rec.first_canon and rec.first_phon and rec.last):
        return
    # Both orientations share one namespace, so "Smith John" meets "John Smith".
    pairs = (
        (rec.last_phon, rec.first_canon),
        (rec.first_phon, canonical_first(rec.last)),
    )
    for phon, given in pairs:
        # Initial + postal code or city is small enough; country-wide needs two letters.
        for tag, place in (("g", rec.postal), ("c", rec.city)):
            if place:
                out.append(f"n{tag}|{phon}|{given[0]}|{place}")
        if rec.country:
            out.append(f"nn|{phon}|{given[:2]}|{rec.country}")


def blocking_keys(rec: MatchKey) -> list[str]:
    """Return the names of the candidate blocks ``rec`` belongs to.

    Blocks: exact email key; phone; business domain + surname sound; company + surname sound;
    company (or domain) + formal first name; surname sound + first initial + postal code or
    city; surname sound + first two letters of the formal first name + country (the name
    blocks in both orientations); the email's local part when long enough to be personal.

    Args:
        rec: The record's comparison key.

    Returns:
        Block names (strings, duplicates removed, order stable).
    """
    out: list[str] = []
    if rec.email:
        out.append("e|" + rec.email)
        local = rec.email.rpartition("@")[0]
        if len(local) >= 6 and not rec.role_email:
            out.append("l|" + local)
    if rec.phone:
        out.append("p|" + rec.phone)
    if rec.last_phon:
        if rec.domain:
            out.append(f"d|{rec.domain}|{rec.last_phon}")
        if rec.company:
            out.append(f"c|{rec.company}|{rec.last_phon}")
    if rec.first_canon and (rec.company or rec.domain):
        # Finds a surname typo at the same employer.
        out.append(f"f|{rec.company or rec.domain}|{rec.first_canon}")
    _name_blocks(rec, out)
    return list(dict.fromkeys(out))
