"""Field comparisons that turn two MatchKeys into one comparison level per field.

Each comparison has ordered levels, level 0 always meaning "missing on either side" (no
evidence either way). The level names are what m/u parameters and match reasons refer to.
Names use Jaro-Winkler and the nickname table, companies a token-set ratio, email keys and
phones an exact test with a one-edit "close" level for typos.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from leadsync.sync.matching.keys import MatchKey
from leadsync.sync.matching.nicknames import same_person_name

EMAIL, PHONE, FIRST, LAST, COMPANY, GEO = range(6)

# (comparison name, level names); index 0 is always "missing".
COMPARISONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("missing", "exact", "close", "role", "far")),
    ("phone", ("missing", "exact", "close", "far")),
    ("first_name", ("missing", "exact", "nickname", "close", "initial", "far")),
    ("last_name", ("missing", "exact", "close", "fuzzy", "far")),
    ("company", ("missing", "domain_and_name", "domain", "exact", "close", "fuzzy", "far")),
    ("geo", ("missing", "postal", "city", "country", "far")),
)
COMPARISON_NAMES = tuple(name for name, _ in COMPARISONS)

Levels = tuple[int, int, int, int, int, int]


def _email(a: MatchKey, b: MatchKey) -> int:
    ea, eb = a.email, b.email
    if ea is None or eb is None:
        return 0
    if ea == eb:
        return 3 if a.role_email else 1
    la, _, da = ea.rpartition("@")
    lb, _, db = eb.rpartition("@")
    if da == db and min(len(la), len(lb)) >= 5 and OSA.distance(la, lb, score_cutoff=1) <= 1:
        return 2  # one typo in the mailbox name
    if la == lb and len(la) >= 6 and a.free_mail and b.free_mail:
        return 2  # same personal handle at another free-mail provider
    return 4


def _phone(a: str | None, b: str | None) -> int:
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    if len(a) == len(b) and OSA.distance(a, b, score_cutoff=1) <= 1:
        return 2
    return 3


def first_level(a: str | None, b: str | None) -> int:
    """Return the first-name level (exact, nickname, close, initial, far) of two names."""
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    if len(a) == 1 or len(b) == 1:
        return 4 if a[0] == b[0] else 5
    if same_person_name(a, b):
        return 2
    return 3 if JaroWinkler.similarity(a, b) >= 0.88 else 5


def last_level(a: str | None, b: str | None, pa: str | None, pb: str | None) -> int:
    """Return the surname level (exact, close, fuzzy, far); ``pa``/``pb`` are phonetic codes."""
    if a is None or b is None:
        return 0
    if a == b:
        return 1
    jw = JaroWinkler.similarity(a, b)
    if jw >= 0.92 or (pa == pb and jw >= 0.8):
        return 2
    return 3 if jw >= 0.8 else 4


def _names(a: MatchKey, b: MatchKey) -> tuple[int, int, bool]:
    first = first_level(a.first, b.first)
    last = last_level(a.last, b.last, a.last_phon, b.last_phon)
    if first in (1, 2, 3) and last in (1, 2):
        return first, last, False
    if not (a.first and a.last and b.first and b.last):
        return first, last, False
    if a.first[0] != b.last[0] or a.last[0] != b.first[0]:
        return first, last, False  # cheap gate: swapped names start with the same letters
    swap_first = first_level(a.first, b.last)
    swap_last = last_level(a.last, b.first, a.last_phon, b.first_phon)
    if swap_last > 2 and a.last and b.first and same_person_name(a.last, b.first):
        swap_last = 2  # "Shah Rob" is "Robert Shah"
    if swap_first in (1, 3) and swap_last in (1, 2):
        return swap_first, swap_last, True
    return first, last, False


def _company_name(a: str | None, b: str | None) -> int:
    if a is None or b is None:
        return 0
    if a == b:
        return 3
    ratio = token_set_ratio(a, b, score_cutoff=75)
    if ratio >= 90:
        return 4
    return 5 if ratio >= 75 else 6


def _company(a: MatchKey, b: MatchKey) -> int:
    # Domain and company name say the same thing (the employer): one comparison, so a shared
    # employer is not counted twice.
    name = _company_name(a.company, b.company)
    if a.domain is not None and a.domain == b.domain:
        return 1 if name in (3, 4) else 2
    return name


def _geo(a: MatchKey, b: MatchKey) -> int:
    if a.country and b.country and a.country != b.country:
        return 4
    if a.postal and b.postal and a.postal == b.postal:
        return 1
    if a.city and b.city and a.city == b.city:
        return 2
    if (a.country and b.country) or (a.postal and b.postal) or (a.city and b.city):
        return 3
    return 0


def compare(a: MatchKey, b: MatchKey) -> tuple[Levels, bool]:
    """Compare two records field by field.

    Args:
        a: The incoming record's key.
        b: A candidate's key.

    Returns:
        The level of every comparison (in :data:`COMPARISONS` order) and whether the
        first and last names matched only after swapping them.
    """
    first, last, swapped = _names(a, b)
    levels: Levels = (
        _email(a, b),
        _phone(a.phone, b.phone),
        first,
        last,
        _company(a, b),
        _geo(a, b),
    )
    return levels, swapped


def describe(levels: Levels, swapped: bool) -> dict[str, str]:
    """Render levels as ``{comparison: level name}``, skipping missing fields."""
    reasons = {
        COMPARISONS[i][0]: COMPARISONS[i][1][level] for i, level in enumerate(levels) if level
    }
    if swapped:
        reasons["names"] = "swapped"
    return reasons
