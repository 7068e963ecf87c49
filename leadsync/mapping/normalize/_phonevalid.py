"""``phonenumbers.is_valid_number`` with the number patterns compiled once per region.

The library answers the same question by walking every number type of a region, looking
each pattern up in the regex cache and building its descriptions again on every call:
about 50 us a number, which made phone checks the largest cost of mapping a record. This
module makes the same decisions in the same order (region by leading digits or by first
valid type, then "any type but unknown" in that region) from pre-compiled patterns, in a
few microseconds. Tests compare it with the library over every region's example numbers
and many mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber

_NON_GEO = "001"  # phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
_MAX_NSN = 17  # the longest national number the parser accepts
_Desc = tuple[frozenset[int] | None, re.Pattern[str]]
# Every type _number_type_helper tries before fixed line and mobile, in its order.
_SPECIAL_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


def _desc(desc: object) -> _Desc | None:
    """Compile one PhoneNumberDesc; None when it can never match (absent or no pattern)."""
    pattern = getattr(desc, "national_number_pattern", None) if desc is not None else None
    if not pattern:
        return None
    lengths = getattr(desc, "possible_length", ())
    # An empty length list means "as the general description", which is checked first.
    return (frozenset(lengths) if lengths else None, re.compile(pattern))


def _matches(nsn: str, desc: _Desc) -> bool:
    lengths, pattern = desc
    return (lengths is None or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


@lru_cache(maxsize=4096)  # at most one per region and length, most never built
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern that fully matches what one of ``patterns`` fully matches."""
    # fullmatch backtracks into the next alternative, so this is "any of them matches".
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _type_check(metadata: PhoneMetadata) -> Callable[[str], bool]:
    """Build ``nsn -> _number_type_helper(nsn, metadata) != UNKNOWN``."""
    general = _desc(metadata.general_desc)
    names = [*_SPECIAL_TYPES, "fixed_line"]
    # With identical fixed-line and mobile patterns the library never tries mobile alone.
    if not metadata.same_mobile_and_fixed_line_pattern:
        names.append("mobile")
    kinds = [d for d in (_desc(getattr(metadata, n)) for n in names) if d is not None]
    if general is None or not kinds:
        return _never
    first = general
    # The types a number of each length may be, joined: one regex call instead of up to
    # ten. Built on first use: a region sees few lengths.
    by_length: dict[int, re.Pattern[str] | None] = {}

    def joined(length: int) -> re.Pattern[str] | None:
        patterns = tuple(p.pattern for lens, p in kinds if lens is None or length in lens)
        return _any_of(patterns) if patterns else None

    def known_type(nsn: str) -> bool:
        if not _matches(nsn, first):
            return False
        length = len(nsn)
        if length > _MAX_NSN:  # longer than any real number: take the long way
            return any(_matches(nsn, d) for d in kinds)
        if length in by_length:
            either = by_length[length]
        else:
            either = by_length[length] = joined(length)
        return either is not None and either.fullmatch(nsn) is not None

    return known_type


def _never(nsn: str) -> bool:
    return False


def _region_check(code: int, region: str) -> Callable[[str], bool]:
    """``is_valid_number_for_region`` for numbers of country ``code`` in ``region``."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region.upper())
    if metadata is None or (region != _NON_GEO and metadata.country_code != code):
        return _never
    return _type_check(metadata)


_Step = tuple[re.Pattern[str] | None, Callable[[str], bool], Callable[[str], bool]]


def _region_step(code: int, region: str) -> _Step | None:
    """What ``_region_code_for_number_from_list`` looks at in one region, and its check."""
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None:
        return None
    digits = metadata.leading_digits
    leading = re.compile(digits) if digits is not None else None
    known_type = _type_check(metadata)
    # The same metadata as _region_check would load: reuse its compiled patterns.
    same = region != _NON_GEO and metadata.country_code == code
    return leading, known_type, known_type if same else _region_check(code, region)


def _shared_code_check(code: int, regions: tuple[str, ...]) -> Callable[[str], bool]:
    """Validity for a code several regions share (+1, +44, +7...).

    The library first picks the region (``_region_code_for_number_from_list``: the first
    whose leading digits match, or without leading digits, whose types the number fits),
    then checks the number in that region. Regions are loaded as the library loads them,
    when a number first gets that far down the list.
    """
    steps: dict[str, _Step | None] = {}

    def valid(nsn: str) -> bool:
        for region in regions:
            if region in steps:
                step = steps[region]
            else:
                step = steps[region] = _region_step(code, region)
            if step is None:
                continue
            leading, known_type, check = step
            if leading is not None:
                if leading.match(nsn):
                    return check(nsn)
            elif known_type(nsn):
                return check is known_type or check(nsn)  # the same check: known to pass
        return False

    return valid


@lru_cache(maxsize=1024)  # one entry per country code: about 250 exist
def _code_check(code: int) -> Callable[[str], bool]:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return _never
    if len(regions) == 1:
        return _region_check(code, regions[0])
    return _shared_code_check(code, tuple(regions))


def is_valid_national(code: int, nsn: str) -> bool:
    """Return :func:`is_valid_number` of an already split number.

    Args:
        code: The country calling code.
        nsn: The national significant number: digits only, leading zeros included.

    Returns:
        Whether the number matches a valid pattern of the region it belongs to.
    """
    return _code_check(code)(nsn)


def is_valid_number(number: PhoneNumber) -> bool:
    """Return exactly what ``phonenumbers.is_valid_number(number)`` returns, faster.

    Args:
        number: A parsed number.

    Returns:
        Whether the number matches a valid pattern of the region it belongs to.
    """
    code = number.country_code
    if code is None:
        return False
    return _code_check(code)(phonenumbers.national_significant_number(number))
