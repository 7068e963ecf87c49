"""Field comparisons that turn two MatchKeys into one comparison level per field.

Each comparison has ordered levels, level 0 always meaning "missing on either side" (no
evidence either way). The level names are what m/u parameters and match reasons refer to.
Names use Jaro-Winkler and the nickname table, companies a token-set ratio, email keys and
phones an exact test with a one-edit "close" level for typos.

:func:`compare` states the rules one field at a time; :func:`score_pairs` is the same rules
fused with the weight sum into one loop over a record's candidates (the matcher's hot path),
with repeated name and company pairs remembered in a :class:`PairMemo`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
# (match weight, has person evidence, key, levels, names swapped)
Scored = tuple[float, bool, str, Levels, bool]


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
    swap = _swapped_levels(a, b)
    return (first, last, False) if swap is None else (swap[0], swap[1], True)


def _swapped_levels(a: MatchKey, b: MatchKey) -> tuple[int, int] | None:
    """Return the name levels of ``a`` against ``b`` read the other way round, if they agree.

    Only for records whose four names are set; both comparison paths call it.
    """
    swap_first = first_level(a.first, b.last)
    if swap_first not in (1, 3):
        return None  # most pairs through the gate stop here: no surname comparison needed
    swap_last = last_level(a.last, b.first, a.last_phon, b.first_phon)
    if swap_last > 2 and a.last and b.first and same_person_name(a.last, b.first):
        swap_last = 2  # "Shah Rob" is "Robert Shah"
    if swap_last in (1, 2):
        return swap_first, swap_last
    return None


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


# Entries a PairMemo holds before it forgets them all (no LRU bookkeeping: see mapping.memo).
PAIR_MEMO_SIZE = 1 << 17


class PairMemo:
    """Remembered levels of first-name, surname and company pairs.

    Names and employers are few next to records (a region's names, an account list's
    companies), so the same pair comes back record after record; a dict hit costs far less
    than rapidfuzz and the nickname table. Each memo maps the incoming value to
    ``{candidate value: level}``, so a record fetches its inner dicts once and no pair tuple is
    built per candidate. ``last`` holds 2 or 4, or 0 for "close if the surnames sound alike,
    else fuzzy" (the phonetic codes are not part of the key).

    Args:
        limit: Remembered pairs and values before everything is forgotten at once.
    """

    __slots__ = ("company", "first", "last", "limit", "size")

    def __init__(self, limit: int = PAIR_MEMO_SIZE) -> None:
        self.first: dict[str, dict[str, int]] = {}
        self.last: dict[str, dict[str, int]] = {}
        self.company: dict[str, dict[str, int]] = {}
        self.limit = limit
        self.size = 0

    def seen(self, a: MatchKey) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Return the memos of ``a``'s first name, surname and company (one per value)."""
        first, last, company = self.first, self.last, self.company
        if self.size + len(first) + len(last) + len(company) >= self.limit:
            first.clear()
            last.clear()
            company.clear()
            self.size = 0
        # A missing value compares as level 0 without consulting its memo: any dict will do.
        return (
            first.setdefault(a.first, {}) if a.first is not None else _NOTHING,
            last.setdefault(a.last, {}) if a.last is not None else _NOTHING,
            company.setdefault(a.company, {}) if a.company is not None else _NOTHING,
        )


_NOTHING: dict[str, int] = {}


def _last_code(a: str, b: str) -> int:
    """:func:`last_level` of two different surnames, 0 where it depends on their sound."""
    jw = JaroWinkler.similarity(a, b)
    if jw >= 0.92:
        return 2
    return 0 if jw >= 0.8 else 4


def score_pairs(
    a: MatchKey,
    candidates: Iterable[tuple[str, MatchKey]],
    weights: Sequence[Sequence[float]],
    prior: float,
    deltas: Sequence[float | None],
    memo: PairMemo,
) -> list[Scored]:
    """Compare ``a`` with every candidate and sum the weights of the levels, in one pass.

    Scoring runs for twenty or more candidates per incoming record, and its cost was mostly
    calls and tuples, so this is deliberately one flat loop over :func:`compare`'s rules with
    what depends only on ``a`` worked out first. It gives the levels and swapped flag of
    :func:`compare` and, summing in the same order, the float that ``ScoreModel.bits`` gives
    for them with the term-frequency overrides. Keep the two in step:
    tests/matching/test_fast_scoring.py holds them equal.

    Args:
        a: The incoming record's key.
        candidates: ``(key, record)`` of the candidates, in the order to score them.
        weights: ``ScoreModel.weights``: one weight per level of every comparison.
        prior: ``ScoreModel.prior_bits``.
        deltas: For EMAIL, PHONE, FIRST and LAST, what to add when that comparison's level is
            1 (the term-frequency weight minus the level's own weight), or None.
        memo: Pair levels shared across incoming records.

    Returns:
        One :data:`Scored` tuple per candidate, in candidate order.
    """
    w_email, w_phone, w_first, w_last, w_company, w_geo = weights
    d_email, d_phone, d_first, d_last = deltas
    email, phone, first, last = a.email, a.phone, a.first, a.last
    company, domain = a.company, a.domain
    exact_email = 3 if a.role_email else 1
    local, _, host = email.rpartition("@") if email is not None else ("", "", "")
    at_host = "@" + host
    n_host = len(at_host)
    n_local = len(local)
    typo_local = n_local >= 5  # only a mailbox this long may differ by one typo
    shortest, longest = max(5, n_local - 1), n_local + 1
    same_handle = n_local >= 6 and a.free_mail
    n_phone = len(phone) if phone is not None else -1
    last_phon = a.last_phon
    swappable = bool(first and last)
    first0, last0 = (first[0], last[0]) if first and last else ("", "")
    country, postal, city = a.country, a.postal, a.city
    has_geo = bool(country or postal or city)
    first_seen, last_seen, company_seen = memo.seen(a)
    osa = OSA.distance
    remembered = len(first_seen) + len(last_seen) + len(company_seen)
    out: list[Scored] = []
    append = out.append
    for key, b in candidates:
        other = b.email
        if email is None or other is None:
            e = 0
        elif email == other:
            e = exact_email
        elif (
            (
                typo_local
                and other.endswith(at_host)
                # One edit changes the length by at most one: test that before the edit distance.
                and shortest <= len(other) - n_host <= longest
                and osa(local, other[:-n_host], score_cutoff=1) <= 1
            )
            or (same_handle and b.free_mail and other.rpartition("@")[0] == local)
        ):
            e = 2
        else:
            e = 4
        other = b.phone
        if phone is None or other is None:
            ph = 0
        elif phone == other:
            ph = 1
        elif len(other) == n_phone and osa(phone, other, score_cutoff=1) <= 1:
            ph = 2
        else:
            ph = 3
        fb = b.first
        if first is None or fb is None:
            fn = 0
        elif first == fb:
            fn = 1
        else:
            fn = first_seen.get(fb, -1)
            if fn < 0:
                fn = first_seen[fb] = first_level(first, fb)
        lb = b.last
        if last is None or lb is None:
            ln = 0
        elif last == lb:
            ln = 1
        else:
            ln = last_seen.get(lb, -1)
            if ln < 0:
                ln = last_seen[lb] = _last_code(last, lb)
            if ln == 0:
                ln = 2 if last_phon == b.last_phon else 3
        swapped = False
        if (
            not (0 < fn < 4 and 0 < ln < 3)
            and swappable
            and fb
            and lb
            and first0 == lb[0]  # cheap gate, as in _names
            and last0 == fb[0]
        ):
            swap = _swapped_levels(a, b)
            if swap is not None:
                fn, ln = swap
                swapped = True
        other = b.company
        if company is None or other is None:
            co = 0
        elif company == other:
            co = 3
        else:
            co = company_seen.get(other, -1)
            if co < 0:
                co = company_seen[other] = _company_name(company, other)
        if domain is not None and domain == b.domain:
            co = 1 if co == 3 or co == 4 else 2
        if not has_geo:
            geo = 0
        elif country and b.country and country != b.country:
            geo = 4
        elif postal and postal == b.postal:
            geo = 1
        elif city and city == b.city:
            geo = 2
        elif (country and b.country) or (postal and b.postal) or (city and b.city):
            geo = 3
        else:
            geo = 0
        bits = prior + w_email[e] + w_phone[ph] + w_first[fn] + w_last[ln] + w_company[co]
        bits += w_geo[geo]
        if e == 1 and d_email is not None:
            bits += d_email
        if ph == 1 and d_phone is not None:
            bits += d_phone
        if fn == 1 and d_first is not None:
            bits += d_first
        if ln == 1 and d_last is not None:
            bits += d_last
        person = e == 1 or ph == 1 or (0 < fn < 4 and 0 < ln < 3)
        append((bits, person, key, (e, ph, fn, ln, co, geo), swapped))
    memo.size += len(first_seen) + len(last_seen) + len(company_seen) - remembered
    return out
