"""Phone number normalisation to E.164 with phonenumbers."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

from leadsync.mapping.normalize._phonevalid import is_valid_national, is_valid_number
from leadsync.mapping.normalize._text import clean_text

_MAX_INPUT = 64  # the library refuses more than 250 chars anyway; real numbers are far shorter


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# ASCII digits and the separators people type in North American numbers, "+" only first.
# Python's [0-9] is ASCII only, unlike \d: the parser also reads other scripts' digits.
_NANP_SHAPE = re.compile(r"\+?[0-9 ().\-]+")
_NANP_SEPARATORS = str.maketrans("", "", "+ ().-")
# Regions whose metadata reads such numbers alike: international prefix 011, national
# prefix "1" without a transform rule, general pattern [2-9]\d{9}|3\d{6}. The other NANP
# regions rewrite seven-digit numbers and have narrower general patterns; likely harmless
# for ten digits, but not proven, so they take the parser.
_NANP_REGIONS = frozenset({"US", "CA"})


@lru_cache(maxsize=1024)  # one entry per country code: about 240 exist
def _national_prefix(code: int) -> tuple[bool, re.Pattern[str] | None]:
    """Whether a country code has metadata, and its national prefix pattern if any."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        return False, None
    prefix = metadata.national_prefix_for_parsing
    return True, re.compile(prefix) if prefix else None


def _split(text: str) -> tuple[int, str] | None:
    """Split ``+<digits>`` into country code and national number, when the parser would.

    The parser would split off the country code the same way (codes are prefix-free) and
    change the rest only for leading zeros or a national prefix, which are left to it.
    """
    digits = text[1:]
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    known, prefix = _national_prefix(code)
    if not known or national.startswith("0"):
        return None
    if prefix is not None and prefix.match(national):
        return None
    return code, national


def _direct(text: str) -> PhoneNumber | None:
    """Build the number for ``+<digits>`` without the general parser, when that is exact."""
    split = _split(text)
    if split is None:
        return None
    code, national = split
    return PhoneNumber(country_code=code, national_number=int(national))


def _nanp_national(raw: str) -> str | None:
    """The ten digits after country code 1 the parser would read from ``raw`` in US or CA.

    Only for the shapes where that is certain: ``raw`` is at most ``_MAX_INPUT`` long (so
    clean_text cannot push it over) and made of ASCII digits and `` ().-`` with at most a
    leading ``+``. The parser then drops the separators (no letters, so no vanity mapping;
    no ``x # , ; ~``, so no extension) and, for ten digits starting 2-9, takes them as they
    are: they cannot start with the IDD 011 or the national prefix 1. Eleven digits
    starting with 1 are read as country code 1 (after "+", or because ten digits match the
    general pattern and eleven cannot) followed by the ten.
    """
    if len(raw) > _MAX_INPUT or not _NANP_SHAPE.fullmatch(raw):
        return None
    digits = raw.translate(_NANP_SEPARATORS)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    elif len(digits) != 10 or raw[0] == "+":
        return None  # "+" and ten digits is another country code
    # Nothing starting 0 or 1: "1" again would be taken as a national prefix, "0" may be IDD.
    return digits if digits[0] in "23456789" else None


def _parse(raw: str | None, default_region: str | None) -> phonenumbers.PhoneNumber | None:
    text = clean_text(raw)
    if text is None or len(text) > _MAX_INPUT:
        return None
    region = default_region.upper() if default_region else None
    if text.startswith("00") and not text.startswith("000"):
        # International call prefix used across Europe: "0044 20..." means "+44 20...".
        text = "+" + text[2:]
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=4096)  # numbers are mostly unique per person (see normalize_email)
def phone_e164(raw: str | None, default_region: str | None = "US") -> str | None:
    """Return ``raw`` as an E.164 number (``+14155550123``), or None when unusable.

    Numbers without a ``+`` country prefix are read in ``default_region``. Only numbers
    valid in their country's numbering plan are accepted (extensions are dropped), so a
    national number read in the wrong region gives None rather than a wrong number.

    Args:
        raw: The number as typed.
        default_region: ISO 3166-1 alpha-2 region for national-format numbers.

    Returns:
        The E.164 string, or None.
    """
    if isinstance(raw, str):
        if _E164.fullmatch(raw):
            # Already E.164, as every value this function wrote is: skip the parser.
            split = _split(raw)
            if split is not None and is_valid_national(*split):
                return raw
        elif default_region in _NANP_REGIONS:
            # "(212) 555-0199" and the like, the usual input: skip the parser too. The parser
            # would read the same ten digits, so an invalid one is answered here as well.
            national = _nanp_national(raw)
            if national is not None:
                return "+1" + national if is_valid_national(1, national) else None
    number = _parse(raw, default_region)
    if number is None or not is_valid_number(number):
        return None
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def is_valid_phone(raw: str | None, default_region: str | None = "US") -> bool:
    """Return True when ``raw`` is a number assigned in its country's numbering plan.

    Args:
        raw: The number as typed.
        default_region: ISO 3166-1 alpha-2 region for national-format numbers.

    Returns:
        Whether the number is valid.
    """
    number = _parse(raw, default_region)
    return number is not None and is_valid_number(number)


def phone_region(e164: str | None) -> str | None:
    """Return the alpha-2 region a number belongs to (``+44...`` gives ``GB``).

    Args:
        e164: A number, ideally already in E.164.

    Returns:
        The region code, or None when unknown.
    """
    number = _parse(e164, None)
    if number is None:
        return None
    region: str | None = phonenumbers.region_code_for_number(number)
    return region if region and region != "ZZ" else None
