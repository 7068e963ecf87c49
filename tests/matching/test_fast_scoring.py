"""The fused scoring path gives exactly what compare → term frequency → bits gives.

``score_pairs`` re-states :func:`compare`'s rules in one loop for speed; these tests hold it to
the reference path on generated pairs built to reach every level: swapped names, nicknames and
initials, typos, role and free-mail addresses, missing and odd values, keys read back from the
store (not interned), term frequency on and off, a record scored against its own index.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import pytest

from leadsync.mapping.model import Lead
from leadsync.sync.matching import MatchIndex, MatchSettings
from leadsync.sync.matching.compare import (
    COMPARISONS,
    EMAIL,
    FIRST,
    LAST,
    PHONE,
    Levels,
    PairMemo,
    Scored,
    compare,
    describe,
    score_pairs,
)
from leadsync.sync.matching.keys import MatchKey, build_key, pack_key, unpack_key
from leadsync.sync.matching.result import Candidate, MatchResult
from leadsync.sync.matching.scorer import Frequencies, Matcher
from leadsync.sync.matching.scoring import ScoreModel, has_person_evidence, probability

FIRSTS = (
    "John", "Jon", "Johnny", "J.", "Robert", "Bob", "Rob", "Robt", "Mary", "Marie", "Ann",
    "Anne", "Kate", "Catherine", "Shah", "Smith", "Lee", "Al", "Jöhn", None,
)  # fmt: skip
LASTS = (
    "Smith", "Smyth", "Smithe", "Lee", "Li", "Shah", "Johnson", "Jonson", "Robert", "Roberts",
    "John", "Mary", "Rob", "Nguyen", "Ng", None,
)  # fmt: skip
DOMAINS = ("acme.com", "globex.com", "gmail.com", "yahoo.com", "initech.io")
COMPANIES = (
    "Acme", "Acme Inc", "Acme Labs", "ACME Laboratories", "Acme Lab Systems", "Globex",
    "Globex Corp", "Globex Corporation Intl", "Initech", "Initrode", "Acme Widgets",
    "Acne Widget", "Globex Holdings", "Glob Ex Holding", None,
)  # fmt: skip
PHONES = (
    "+14155550123", "+14155550132", "+14155550124", "+14155550923", "+441632960001",
    "+1415555012", "(415) 555-0123", None,
)  # fmt: skip
PLACES = (
    ("Boston", "02110", "US"), ("Boston", "02110-1234", "United States"), ("Austin", "78701", "US"),
    ("London", "EC1A 1BB", "GB"), (None, None, "US"), ("Boston", None, None), (None, None, None),
)  # fmt: skip
ROLES = ("info", "sales", "support")


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    return rng.choice(
        (text[:i] + text[i + 1 :], text[:i] + "x" + text[i:], text[:i] + "q" + text[i + 1 :])
    )


def _email(rng: random.Random, first: str | None, last: str | None) -> str | None:
    if rng.random() < 0.1:
        return None
    if rng.random() < 0.15:
        local = rng.choice(ROLES)
    else:
        f, s = (first or "pat").lower().strip("."), (last or "doe").lower()
        local = rng.choice((f"{f}.{s}", f"{f}{s}", f"{f[0]}{s}", f"{f}{s}{rng.randrange(9)}"))
        if rng.random() < 0.25:
            local = _typo(rng, local)
    return f"{local}@{rng.choice(DOMAINS)}"


def _lead(rng: random.Random) -> Lead:
    first, last = rng.choice(FIRSTS), rng.choice(LASTS)
    city, postal, country = rng.choice(PLACES)
    return Lead.model_construct(
        email=_email(rng, first, last),
        phone=rng.choice(PHONES),
        first_name=first,
        last_name=last,
        company=rng.choice(COMPANIES),
        website_domain=rng.choice((None, None, "acme.com", "globex.com")),
        city=city,
        postal_code=postal,
        country=country,
    )


def _variant(rng: random.Random, lead: Lead) -> Lead:
    """Another record of (often) the same person: each field kept, changed or dropped."""
    other = _lead(rng)
    values = {
        name: getattr(lead, name) if rng.random() < 0.6 else getattr(other, name)
        for name in Lead.model_fields
    }
    if rng.random() < 0.15:
        values["first_name"], values["last_name"] = values["last_name"], values["first_name"]
    if values["email"] and rng.random() < 0.2:
        local, _, host = values["email"].rpartition("@")
        values["email"] = f"{_typo(rng, local)}@{host}"
    return Lead.model_construct(**values)


def _odd(rng: random.Random, key: MatchKey) -> MatchKey:
    """Values build_key never makes but a stored or hand-built key may hold."""
    field = rng.choice(("email", "first", "last", "company", "city", "phone"))
    # An empty name is outside what compare() accepts (it reads the first letter).
    odd = ("x", "no-at-sign", "a@b@acme.com") + (() if field in ("first", "last") else ("",))
    return replace(key, **{field: rng.choice(odd)})


def _key(rng: random.Random, lead: Lead) -> MatchKey:
    key = build_key(lead)
    if rng.random() < 0.05:
        key = _odd(rng, key)
    # Keys read back from the store are equal but not interned.
    return unpack_key(pack_key(key)) if rng.random() < 0.5 else key


def _reference_tf(
    model: ScoreModel, rec: MatchKey, levels: Levels, freq: Frequencies, own: int
) -> list[tuple[int, float]]:
    total, out = freq.total - own, []
    if levels[EMAIL] == 1 and rec.email and freq.email - own > 1:
        out.append((EMAIL, model.shared_weight(EMAIL, freq.email - own, total)))
    if levels[PHONE] == 1 and rec.phone and freq.phone - own > 1:
        out.append((PHONE, model.shared_weight(PHONE, freq.phone - own, total)))
    if levels[FIRST] == 1 and rec.first:
        out.append((FIRST, model.name_weight(FIRST, freq.first - own, total)))
    if levels[LAST] == 1 and rec.last:
        out.append((LAST, model.name_weight(LAST, freq.last - own, total)))
    return out


def _reference(
    model: ScoreModel,
    rec: MatchKey,
    candidates: list[tuple[str, MatchKey]],
    freq: Frequencies | None,
    own: int,
) -> list[Scored]:
    out: list[Scored] = []
    for key, other in candidates:
        levels, swapped = compare(rec, other)
        tf = _reference_tf(model, rec, levels, freq, own) if freq is not None else []
        out.append((model.bits(levels, tf), has_person_evidence(levels), key, levels, swapped))
    return out


def _reference_scores(
    index: Matcher,
    rec: MatchKey,
    skip: str | None = None,
    exclude: Callable[[str], bool] | None = None,
) -> list[Scored]:
    """What Matcher.score_candidates returned before the fused path."""
    own = 1 if skip is not None and skip in index else 0
    freq = index._frequencies(rec) if index.settings.term_frequency else None
    candidates = [
        (key, other)
        for key, other in index._candidates(rec)
        if key != skip and not (exclude and exclude(key))
    ]
    out = _reference(index.model, rec, candidates, freq, own)
    out.sort(key=lambda t: t[0], reverse=True)
    return out


def _assert_every_level_seen(scored: list[Scored]) -> None:
    for i, (name, levels) in enumerate(COMPARISONS):
        seen = {s[3][i] for s in scored}
        assert seen == set(range(len(levels))), f"{name} levels never generated: {seen}"
    assert any(s[4] for s in scored), "no swapped names generated"


@pytest.mark.parametrize(
    ("seed", "limit"),
    [(1, None), (2, None), (3, 7), (4, 1)],
    ids=["seed1", "seed2", "memo-clears-often", "memo-clears-always"],
)
def test_score_pairs_equals_compare_then_bits(seed: int, limit: int | None) -> None:
    rng = random.Random(seed)
    index = MatchIndex()
    model = index.model
    memo = PairMemo() if limit is None else PairMemo(limit)
    everything: list[Scored] = []
    for _ in range(600):
        lead = _lead(rng)
        rec = _key(rng, lead)
        pool = [_key(rng, _variant(rng, lead)) for _ in range(rng.randrange(1, 25))]
        candidates = [(f"k{i}", pool[rng.randrange(len(pool))]) for i in range(len(pool))]
        freq = Frequencies(
            rng.choice((0, 1, 5, 10_000, 2_000_000)),
            rng.randrange(0, 5),
            rng.randrange(0, 5),
            rng.randrange(0, 3_000),
            rng.randrange(0, 3_000),
        )
        own = rng.choice((0, 1))
        use_tf = rng.random() < 0.7
        expected = _reference(model, rec, candidates, freq if use_tf else None, own)
        deltas = index._tf_deltas(rec, freq, own) if use_tf else (None, None, None, None)
        got = score_pairs(rec, candidates, model.weights, model.prior_bits, deltas, memo)
        assert got == expected
        everything.extend(got)
    _assert_every_level_seen(everything)


@pytest.mark.parametrize("term_frequency", [True, False], ids=["tf-on", "tf-off"])
def test_score_candidates_equals_reference(term_frequency: bool) -> None:
    rng = random.Random(11)
    index = MatchIndex(MatchSettings(term_frequency=term_frequency, max_block_size=60))
    people = [_lead(rng) for _ in range(400)]
    for i, lead in enumerate(people):
        index.add(f"g{i}", lead)
        if rng.random() < 0.5:
            index.add(f"d{i}", _variant(rng, lead))
    scored: list[Scored] = []
    for _ in range(300):
        rec = _key(rng, _variant(rng, rng.choice(people)))
        got = index.score_candidates(rec)
        assert got == _reference_scores(index, rec)
        scored.extend(got)
    for i in range(0, len(people), 3):
        key = f"g{i}"
        rec = index.key_of(people[i])
        assert index.score_candidates(rec, skip=key) == _reference_scores(index, rec, skip=key)
        rejected = {f"d{j}" for j in range(i % 2, len(people), 2)}
        got = index.score_candidates(rec, skip=key, exclude=rejected.__contains__)
        assert got == _reference_scores(index, rec, key, rejected.__contains__)
        assert not rejected & {s[2] for s in got}
    assert len(scored) > 1_000


def _decide_reference(scored: list[Scored], match: float, review: float) -> MatchResult:
    """Every top candidate spelled out, then filtered: what the decision must equal."""
    if not scored:
        return MatchResult("new", None, [])
    shown = [
        Candidate(key, bits, probability(bits), describe(levels, swapped))
        for bits, _, key, levels, swapped in scored[:5]
    ]
    best, decision = shown[0], "review" if shown[0].probability >= review else "new"
    for i, (bits, person, key, levels, swapped) in enumerate(scored):
        if person:
            if probability(bits) >= match:
                decision = "match"
                best = (
                    shown[i]
                    if i < 5
                    else Candidate(key, bits, probability(bits), describe(levels, swapped))
                )
            break
    listed = [c for c in shown if c.probability >= 0.01]
    return MatchResult(decision, best, listed if best in listed else [best, *listed])


@pytest.mark.parametrize("seed", range(4))
def test_decisions_spell_out_only_candidates_worth_showing(seed: int) -> None:
    rng = random.Random(seed)
    index = MatchIndex(MatchSettings())
    thresholds = index.settings.thresholds_for("person")
    for _ in range(2_000):
        size = rng.choice((0, 1, 3, 5, 6, 12))
        scored: list[Scored] = [
            (
                rng.uniform(-30.0, 30.0) if rng.random() < 0.7 else rng.choice((-7.0, 6.6, 25.0)),
                rng.random() < 0.5,
                f"g:{i}",
                (rng.randrange(5), rng.randrange(4), rng.randrange(5), 0, 0, 0),
                rng.random() < 0.1,
            )
            for i in range(size)
        ]
        scored.sort(key=lambda entry: entry[0], reverse=True)
        expected = _decide_reference(scored, thresholds.match, thresholds.review)
        assert index._decide(scored, "person") == expected
