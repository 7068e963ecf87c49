"""The fast paths for plain emails and E.164 phones agree with the libraries they bypass."""

from __future__ import annotations

import idna
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

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
