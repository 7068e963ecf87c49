"""The fast paths (plain emails, E.164 phones, phone validity, plain hosts, bare-host
websites, clean text, Decimals) agree with the libraries and the slow code they bypass."""

from __future__ import annotations

import random
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import idna
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.mapping.canonical import _NUMBER_JUNK, to_decimal
from leadsync.mapping.normalize import domain_from_website, phone_e164
from leadsync.mapping.normalize._phonevalid import is_valid_number
from leadsync.mapping.normalize._text import _INVISIBLE_CATEGORIES, clean_text
from leadsync.mapping.normalize.domain import _psl, registrable_domain
from leadsync.mapping.normalize.email import _plain_email
from leadsync.mapping.normalize.phone import _direct

_LABEL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,5}[A-Za-z0-9]?", fullmatch=True)
_shaped = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[A-Za-z0-9_%+.-]{1,12}", fullmatch=True),
    st.lists(_LABEL, min_size=1, max_size=3).map(".".join),
    st.sampled_from(["com", "DE", "test", "local", "co", "x", "museum", "c0m"]),
)


@settings(max_examples=300, deadline=None)
@given(raw=st.emails() | _shaped)
def test_plain_email_matches_email_validator(raw: str) -> None:
    fast = _plain_email(raw)
    try:
        slow = validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        slow = None
    if fast is not None:
        assert fast == slow


def _examples() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                )
    return found


_E164 = st.sampled_from(_examples())
_mutated = st.builds(
    lambda base, pos, digit: base[:pos] + digit + base[pos + 1 :],
    _E164,
    st.integers(2, 12),
    st.sampled_from("0123456789"),
)


@settings(max_examples=400, deadline=None)
@given(raw=_E164 | _mutated | st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_direct_phone_matches_parser(raw: str) -> None:
    direct = _direct(raw)
    if direct is None or not phonenumbers.is_valid_number(direct):
        return
    parsed = phonenumbers.parse(raw, None)
    assert parsed.country_code == direct.country_code
    assert parsed.national_number == direct.national_number
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == raw


def _slow_registrable(host: str) -> str | None:
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        found = _psl().privatesuffix(ascii_host)
        return idna.decode(found) if found else None
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


@settings(max_examples=300, deadline=None)
@given(
    host=st.lists(_LABEL.map(str.lower), min_size=1, max_size=4)
    .map(".".join)
    .flatmap(
        lambda head: st.sampled_from(["com", "co.uk", "github.io", "de", "b-c", "ab--c"]).map(
            lambda tail: f"{head}.{tail}"
        )
    )
)
def test_plain_host_matches_idna_path(host: str) -> None:
    assert registrable_domain.__wrapped__(host) == _slow_registrable(host)


def _every_example() -> list[phonenumbers.PhoneNumber]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(number)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(number)
    return found


_TYPES = [
    getattr(phonenumbers.PhoneNumberType, name)
    for name in dir(phonenumbers.PhoneNumberType)
    if name.isupper()
]


def _variants(number: phonenumbers.PhoneNumber, rng: random.Random) -> list[str]:
    """The national number with one digit changed, added or dropped, and a few random ones."""
    digits = str(number.national_number)
    out = [digits]
    for _ in range(12):
        spot = rng.randrange(len(digits) + 1)
        digit = rng.choice("0123456789")
        out.append(digits[:spot] + digit + digits[spot + 1 :])
        out.append(digits[:spot] + digit + digits[spot:])
        out.append(digits[:spot] + digits[spot + 1 :])
    out += ["".join(rng.choices("0123456789", k=rng.randrange(3, 18))) for _ in range(6)]
    return [d for d in out if d.strip("0")]


def test_validity_matches_library_for_every_region() -> None:
    """Every region's and non-geographic entity's example numbers, and near misses of them."""
    rng = random.Random(5)
    checked = valid = 0
    for example in _every_example():
        for digits in _variants(example, rng):
            number = phonenumbers.PhoneNumber(
                country_code=example.country_code,
                national_number=int(digits),
                italian_leading_zero=example.italian_leading_zero,
                number_of_leading_zeros=example.number_of_leading_zeros,
            )
            expected = phonenumbers.is_valid_number(number)
            assert is_valid_number(number) == expected, number
            checked += 1
            valid += expected
    # The sweep reached both answers, many times.
    assert checked > 20_000
    assert valid > 2_000


@settings(max_examples=500, deadline=None)
@given(
    code=st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)) | st.integers(0, 999),
    national=st.integers(0, 10**17),
)
def test_validity_matches_library_for_any_number(code: int, national: int) -> None:
    number = phonenumbers.PhoneNumber(country_code=code, national_number=national)
    assert is_valid_number(number) == phonenumbers.is_valid_number(number)


def _library_e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=400, deadline=None)
@given(raw=_E164 | _mutated | st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_e164_fast_path_matches_library(raw: str) -> None:
    assert phone_e164.__wrapped__(raw) == _library_e164(raw)


def _slow_clean(raw: str) -> str | None:
    if raw.isprintable():
        text = raw
    else:
        text = "".join(
            " " if ch.isspace() else ch
            for ch in raw
            if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        )
    return re.sub(r"\s+", " ", text).strip() or None


@settings(max_examples=400, deadline=None)
@given(raw=st.text() | st.text(" a\t\u00a0\u200b\n", max_size=12))
def test_clean_text_matches_regex_everywhere(raw: str) -> None:
    assert clean_text(raw) == _slow_clean(raw)


@settings(max_examples=400, deadline=None)
@given(
    value=st.decimals(allow_nan=True, allow_infinity=True)
    | st.builds(
        Decimal, st.from_regex(r"-?[0-9]{1,80}(\.[0-9]{0,20})?(E[+-]?[0-9]{1,3})?", fullmatch=True)
    )
)
def test_decimal_passes_through_as_its_text_would(value: Decimal) -> None:
    try:
        slow: Decimal | None = Decimal(_NUMBER_JUNK.sub("", str(value))[:64])
    except InvalidOperation:
        slow = None
    if slow is None or not slow.is_finite():
        with pytest.raises(ValueError, match="not a"):
            to_decimal(value)
        return
    fast = to_decimal(value)
    assert str(fast) == str(slow)


@settings(max_examples=200, deadline=None)
@given(ip=st.ip_addresses())
def test_ip_hosts_have_no_registrable_domain(ip: Any) -> None:
    assert registrable_domain.__wrapped__(str(ip)) is None
    assert registrable_domain.__wrapped__(f"[{ip}]") is None


def _website_via_url_parser(raw: str) -> str | None:
    text = clean_text(raw)
    if text is None:
        return None
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return registrable_domain.__wrapped__(host)


_MIXED_LABEL = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,5}[A-Za-z0-9]?", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(
    host=st.builds(
        "{}.{}".format,
        st.lists(_MIXED_LABEL, min_size=1, max_size=4).map(".".join),
        st.sampled_from(["com", "CO.uk", "GitHub.io", "de", "b-c", "ab--c", "x", "1", "K.com"]),
    )
)
def test_bare_host_website_matches_url_parser(host: str) -> None:
    assert domain_from_website.__wrapped__(host) == _website_via_url_parser(host)
