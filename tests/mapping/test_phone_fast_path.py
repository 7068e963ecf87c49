"""The national-format North American fast path of phone_e164 gives what the parser gives.

The reference is the path phone_e164 took for these inputs before the fast path: clean the
text, ``phonenumbers.parse`` it, check validity, format as E.164.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadsync.mapping.normalize._phonevalid import is_valid_number
from leadsync.mapping.normalize.phone import _nanp_national, _parse, phone_e164

_fresh = phone_e164.__wrapped__  # no cache: every call takes the path under test


def _reference(raw: str | None, region: str | None, *, library: bool = True) -> str | None:
    number = _parse(raw, region)
    if number is None:
        return None
    # The compiled check is proven equal to the library elsewhere; the sweep uses it for time.
    valid = phonenumbers.is_valid_number(number) if library else is_valid_number(number)
    if not valid:
        return None
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def _took_fast_path(raw: str) -> bool:
    return _nanp_national(raw) is not None


_TRICKY = [
    ("(212) 555-0199", "US"),
    ("212.555.0199", "US"),
    ("212-555-0199", "US"),
    ("2125550199", "US"),
    ("1-212-555-0199", "US"),
    ("1 (212) 555-0199", "US"),
    ("12125550199", "US"),
    ("+1 212 555 0199", "US"),
    ("+1 (212) 555-0199", "US"),
    ("+ 1 212 555 0199", "US"),
    ("+(1) 212 555 0199", "US"),
    ("+12125550199", "US"),
    ("  (212)   555-0199  ", "US"),
    ("((212)) 555--0199.", "US"),
    ("-212-555-0199-", "US"),
    (". 212 555 0199 )", "US"),
    ("(416) 555-0199", "CA"),
    ("(416) 555-0199", "US"),
    ("(212) 555-0199", "CA"),
    ("1 416 555 0199", "CA"),
    ("+1 416 555 0199", "CA"),
    ("(212) 555-0199", "us"),
    ("(212) 555-0199", "JM"),
    ("(876) 555-0199", "JM"),
    ("(212) 555-0199", "GB"),
    ("(212) 555-0199", None),
    # Extensions and vanity numbers: the parser drops or maps them.
    ("(212) 555-0199 x123", "US"),
    ("(212) 555-0199 ext. 123", "US"),
    ("(212) 555-0199 #123", "US"),
    ("(212) 555-0199 - 123#", "US"),
    ("(212) 555-0199,,123", "US"),
    ("(212) 555-0199;123", "US"),
    ("(212) 555-0199 x302/x2303", "US"),
    ("1-800-FLOWERS", "US"),
    ("1-800-356-9377", "US"),
    ("212-555-CALL", "US"),
    ("Tel: 212 555 0199", "US"),
    ("tel:+1-212-555-0199", "US"),
    ("212 555 0199;phone-context=+1", "US"),
    # Wrong digit counts, national prefix, IDD.
    ("1212555019", "US"),
    ("0212555019", "US"),
    ("(112) 555-0199", "US"),
    ("(012) 555-0199", "US"),
    ("11-212-555-0199", "US"),
    ("+11 212 555 0199", "US"),
    ("+2125550199", "US"),
    ("011 44 20 7946 0958", "US"),
    ("0044 20 7946 0958", "US"),
    ("001 212 555 0199", "US"),
    ("++1 212 555 0199", "US"),
    ("+ +1 212 555 0199", "US"),
    ("1 +212 555 0199", "US"),
    ("212-555-01999", "US"),
    ("555-0199", "US"),
    ("212 555 0199 212 555 0199", "US"),
    # Invalid area and exchange codes.
    ("(211) 555-0199", "US"),
    ("(911) 555-0199", "US"),
    ("(212) 055-0199", "US"),
    ("(212) 155-0199", "US"),
    ("(555) 555-0199", "US"),
    ("(800) 555-0199", "US"),
    ("(900) 555-0199", "US"),
    ("(999) 999-9999", "US"),
    # Other characters that look like digits, plus signs or separators.
    ("(２１２) ５５５-０１９９", "US"),
    ("٢١٢٥٥٥٠١٩٩", "US"),
    ("२१२५५५०१९९", "US"),
    ("²¹²5550199", "US"),
    ("＋1 212 555 0199", "US"),
    ("212\u00a0555\u00a00199", "US"),
    ("212\u2013555\u20130199", "US"),
    ("212/555/0199", "US"),
    ("212\t555\n0199", "US"),
    ("212\u200b555\u200b0199", "US"),
    ("\ufeff(212) 555-0199", "US"),
    ("[212] 555-0199", "US"),
    ("212_555_0199", "US"),
    ("212 555 ٠١٩٩", "US"),
    ("212-555-０１９９", "US"),
    ("(212) 555-01९९", "US"),
    ("+1 212 555 019²", "US"),
    ("212x555x0199", "US"),
    ("212 555 x0199", "US"),
    ("2125550199x", "US"),
    ("x2125550199", "US"),
    # Length limits.
    ("(212)" + " " * 80 + "555-0199", "US"),
    ("(" * 60 + "212) 555-0199", "US"),
    ("2" * 10 + "-" * 55, "US"),
    ("", "US"),
    ("   ", "US"),
    ("()-.", "US"),
    ("+", "US"),
]


@pytest.mark.parametrize(("raw", "region"), _TRICKY, ids=[f"{r!r}-{g}" for r, g in _TRICKY])
def test_fast_path_matches_parser_on_tricky_inputs(raw: str, region: str | None) -> None:
    assert _fresh(raw, region) == _reference(raw, region)


def test_table_exercises_the_fast_path() -> None:
    taken = [raw for raw, region in _TRICKY if region in ("US", "CA") and _took_fast_path(raw)]
    assert "(212) 555-0199" in taken
    assert "+1 212 555 0199" in taken
    assert "1-212-555-0199" in taken
    # Invalid numbers are answered by the fast path too (the exchange 055 cannot start a number).
    invalid = [raw for raw in taken if _reference(raw, "US") is None]
    assert invalid


def test_metadata_is_what_the_fast_path_assumes() -> None:
    for region in ("US", "CA"):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        assert metadata is not None
        assert metadata.country_code == 1
        assert metadata.international_prefix == "011"
        assert metadata.national_prefix_for_parsing == "1"
        assert not metadata.national_prefix_transform_rule
        assert metadata.general_desc.national_number_pattern == r"[2-9]\d{9}|3\d{6}"
    assert phonenumbers.region_code_for_country_code(1) == "US"


# Real US and Canadian area codes, weighted over uniformly drawn (mostly unassigned) ones.
_AREAS = [201, 212, 213, 312, 415, 416, 437, 438, 512, 514, 604, 617, 646, 647, 718, 778, 905]
_DIGIT = st.sampled_from("0123456789")
_NOISE = st.sampled_from(
    list(" ().-+")
    + list("xX#,;~/\\*_:")
    + list("AaBeEtTnNiIoOsSwWlLfF")
    + list("０１２９٠١٢٩०१२९²¹")
    + ["\u00a0", "\u3000", "\u200b", "\ufeff", "\t", "\n", "\u2013", "＋", "ext", "tel:"]
)
_CHUNK = st.one_of(_DIGIT, _DIGIT, _DIGIT, _NOISE)


@st.composite
def _nanp_formatted(draw: st.DrawFn) -> str:
    """A North American number in a common layout, sometimes with junk spliced in."""
    area = draw(st.sampled_from(_AREAS) | st.integers(0, 999))
    exchange = draw(st.integers(200, 999) | st.integers(0, 999))
    line = draw(st.integers(0, 9999))
    layout = draw(
        st.sampled_from(["({a}) {e}-{s}", "{a}.{e}.{s}", "{a}-{e}-{s}", "{a}{e}{s}", "{a} {e} {s}"])
    )
    prefix = draw(st.sampled_from(["", "", "1", "1-", "1 ", "+1 ", "+1", "+", "+ 1 ", "0", "11"]))
    text = prefix + layout.format(a=f"{area:03d}", e=f"{exchange:03d}", s=f"{line:04d}")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        keep = draw(st.sampled_from([at, at + 1]))  # insert, or overwrite one character
        text = text[:at] + draw(_NOISE) + text[keep:]
    return text


@settings(max_examples=3000, deadline=None)
@given(
    raw=_nanp_formatted() | st.lists(_CHUNK, max_size=24).map("".join),
    region=st.sampled_from(["US", "US", "CA", "us", "JM", "GB"]),
)
@example(raw="(212) 555-0199", region="US")
@example(raw="٢١٢٥٥٥٠١٩٩", region="US")
def test_fast_path_matches_parser_on_generated_strings(raw: str, region: str) -> None:
    assert _fresh(raw, region) == _reference(raw, region)


_LAYOUTS = [
    "({a}) {e}-{s}",
    "({a}){e}-{s}",
    "{a}.{e}.{s}",
    "{a}-{e}-{s}",
    "{a} {e} {s}",
    "{a}{e}{s}",
    "1-{a}-{e}-{s}",
    "1 ({a}) {e}-{s}",
    "1{a}{e}{s}",
    "+1 {a} {e} {s}",
    "+1 ({a}) {e}-{s}",
    "+1-{a}-{e}-{s}",
    "+1.{a}.{e}.{s}",
    " {a} - {e} - {s} ",
]


def test_fast_path_matches_parser_on_random_us_and_ca_numbers() -> None:
    rng = random.Random(20261203)
    answered = {True: 0, False: 0}  # by validity
    for i in range(200_000):
        area = rng.choice(_AREAS) if rng.random() < 0.6 else rng.randrange(1000)
        exchange = rng.randrange(1000) if rng.random() < 0.3 else rng.randrange(200, 1000)
        layout = rng.choice(_LAYOUTS)
        raw = layout.format(a=f"{area:03d}", e=f"{exchange:03d}", s=f"{rng.randrange(10000):04d}")
        region = "CA" if i % 4 == 0 else "US"
        expected = _reference(raw, region, library=False)
        assert _fresh(raw, region) == expected, (raw, region)
        if _took_fast_path(raw):
            answered[expected is not None] += 1
    # Most take the fast path (not an area code starting 0 or 1), valid or not.
    assert sum(answered.values()) > 150_000
    assert answered[True] > 100_000
    assert answered[False] > 20_000
