"""Property tests: every normaliser is idempotent and never raises on arbitrary text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync.mapping.normalize import (
    company_key,
    domain_from_email,
    domain_from_website,
    email_match_key,
    is_free_mail,
    name_key,
    normalize_company,
    normalize_country,
    normalize_email,
    normalize_person_name,
    normalize_region,
    parse_datetime,
    phone_e164,
    split_name,
)

# Text shaped like the values each normaliser sees, mixed with arbitrary unicode.
_ASCII_WORD = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-'", max_size=12)
_emails = st.emails() | st.builds(
    "{}@{}.{}".format, st.text(max_size=10), st.text(max_size=10), st.sampled_from(["de", "com"])
)
_phones = st.text("0123456789 +-()x.", max_size=20) | st.from_regex(
    r"\+?[0-9 ()-]{7,16}", fullmatch=True
)
_names = st.lists(
    _ASCII_WORD | st.sampled_from(["van", "der", "MC", "mac", "o'", "de la"]), max_size=4
).map(" ".join)
_sites = st.builds(
    "{}{}.{}".format,
    st.sampled_from(["", "http://", "https://www.", "//"]),
    st.text(max_size=12),
    st.sampled_from(["com", "co.uk", "de", "xn--p1ai", "github.io"]),
)

ONE_ARG: list[tuple[str, Callable[[Any], Any], st.SearchStrategy[str]]] = [
    ("email", normalize_email, _emails),
    ("email_key", email_match_key, _emails),
    ("phone", phone_e164, _phones),
    ("country", normalize_country, st.text(max_size=20)),
    ("person_name", normalize_person_name, _names),
    ("company", normalize_company, st.text(max_size=30)),
    ("company_key", company_key, st.text(max_size=30)),
    ("website", domain_from_website, _sites),
]


@pytest.mark.parametrize(
    ("func", "shaped"), [(f, s) for _, f, s in ONE_ARG], ids=[n for n, _, _ in ONE_ARG]
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_idempotent_and_total(
    func: Callable[[Any], Any], shaped: st.SearchStrategy[str], data: st.DataObject
) -> None:
    raw = data.draw(st.one_of(st.text(), shaped, st.none()))
    once = func(raw)
    assert once is None or isinstance(once, str)
    assert func(once) == once


@settings(max_examples=120, deadline=None)
@given(raw=st.text() | st.emails())
def test_email_domain_helpers_total(raw: str) -> None:
    domain = domain_from_email(raw)
    assert domain is None or domain_from_website(domain) == domain
    assert isinstance(is_free_mail(raw), bool)


@settings(max_examples=120, deadline=None)
@given(
    raw=st.text(), country=st.sampled_from(["US", "DE", "CA", "GB", "xx", ""]) | st.text(max_size=5)
)
def test_region_idempotent(raw: str, country: str) -> None:
    once = normalize_region(raw, country)
    assert normalize_region(once, country) == once


@settings(max_examples=120, deadline=None)
@given(raw=_names | st.text())
def test_split_name_total(raw: str) -> None:
    parts = split_name(raw)
    assert all(p is None or (p == p.strip() and p) for p in parts)
    key = name_key(*parts)
    assert key is None or "|" in key


@settings(max_examples=120, deadline=None)
@given(
    raw=st.text()
    | st.datetimes().map(str)
    | st.integers(min_value=-(10**15), max_value=10**15).map(str)
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
)
def test_parse_datetime_idempotent_and_utc(raw: str) -> None:
    once = parse_datetime(raw)
    if once is not None:
        assert once.utcoffset() is not None
        assert once.utcoffset().total_seconds() == 0
    assert parse_datetime(once) == once
