"""Table of matching situations: each incoming lead against one small fixed index."""

from __future__ import annotations

from typing import Any

import pytest

from leadsync.mapping.model import Lead
from leadsync.sync.matching import MatchIndex

EXISTING: dict[str, dict[str, Any]] = {
    "golden:robert": dict(
        email="robert.smith@acme.com",
        first_name="Robert",
        last_name="Smith",
        company="Acme Inc",
        phone="+14155550123",
        city="Boston",
        postal_code="02110",
        country="US",
    ),
    "golden:mary": dict(
        email="mary.smith@acme.com",
        first_name="Mary",
        last_name="Smith",
        company="Acme",
        phone="+14155550100",
        country="US",
    ),
    "golden:jane": dict(
        email="jane.doe@gmail.com",
        first_name="Jane",
        last_name="Doe",
        phone="+16175550999",
        postal_code="02139",
        country="US",
    ),
    "golden:john-a": dict(
        email="john.smith@globex.com",
        first_name="John",
        last_name="Smith",
        company="Globex",
        city="Denver",
        country="US",
    ),
    "golden:katherine": dict(
        email="kzhang@initech.com",
        first_name="Katherine",
        last_name="Zhang",
        company="Initech LLC",
        phone="+12125550111",
        country="US",
    ),
}


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    idx = MatchIndex()
    for key, fields in EXISTING.items():
        idx.add(key, Lead(**fields))
    return idx


CASES = [
    (
        "nickname-same-email",
        dict(email="robert.smith@acme.com", first_name="Bob", last_name="Smith"),
        "match",
        "golden:robert",
    ),
    (
        "plus-addressing",
        dict(email="jane.doe+promo@gmail.com", first_name="Jane", last_name="Doe"),
        "match",
        "golden:jane",
    ),
    (
        "gmail-dots-and-case",
        dict(email="JaneDoe@GoogleMail.com", first_name="jane", last_name="DOE"),
        "match",
        "golden:jane",
    ),
    (
        "typo-in-surname-same-phone",
        dict(first_name="Katherine", last_name="Zhnag", phone="(212) 555-0111"),
        "match",
        "golden:katherine",
    ),
    (
        "nickname-and-suffix-and-phone",
        dict(first_name="Kate", last_name="Zhang", company="Initech", phone="212.555.0111"),
        "match",
        "golden:katherine",
    ),
    (
        "swapped-first-last",
        dict(first_name="Smith", last_name="Robert", company="Acme", phone="+1 415 555 0123"),
        "match",
        "golden:robert",
    ),
    (
        "free-mail-domain-is-no-evidence",
        dict(email="peter.jones@gmail.com", first_name="Peter", last_name="Jones"),
        "new",
        None,
    ),
    (
        "shared-company-domain-different-person",
        dict(email="peter.smith@acme.com", first_name="Peter", last_name="Smith", company="Acme"),
        "new",
        None,
    ),
    ("shared-company-domain-no-name", dict(email="ops@acme.com", company="Acme Inc"), "new", None),
    (
        "same-name-different-person",
        dict(
            email="john.smith@hooli.com",
            first_name="John",
            last_name="Smith",
            company="Hooli",
            city="Austin",
            country="US",
        ),
        "new",
        None,
    ),
    (
        "typo-in-email-same-name",
        dict(email="robert.smiht@acme.com", first_name="Robert", last_name="Smith", company="Acme"),
        "match",
        "golden:robert",
    ),
    ("blank-lead", dict(), "new", None),
]


@pytest.mark.parametrize(
    ("incoming", "decision", "key"),
    [pytest.param(inc, dec, key, id=name) for name, inc, dec, key in CASES],
)
def test_match_table(
    index: MatchIndex, incoming: dict[str, Any], decision: str, key: str | None
) -> None:
    result = index.match(Lead(**incoming))
    assert result.decision == decision, result
    if key is not None:
        assert result.best is not None
        assert result.best.key == key


def test_reasons_explain_the_match(index: MatchIndex) -> None:
    result = index.match(Lead(email="jane.doe+x@gmail.com", first_name="Jane", last_name="Doe"))
    assert result.best is not None
    assert result.best.reasons["email"] == "exact"
    assert result.best.reasons["first_name"] == "exact"
    assert 0.95 <= result.best.probability <= 1.0


def test_swapped_names_are_reported(index: MatchIndex) -> None:
    result = index.match(Lead(first_name="Smith", last_name="Robert", phone="+14155550123"))
    assert result.best is not None
    assert result.best.reasons.get("names") == "swapped"


def test_candidates_are_sorted_best_first(index: MatchIndex) -> None:
    result = index.match(Lead(first_name="Mary", last_name="Smith", company="Acme"))
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.best is not None
    assert result.best.key == "golden:mary"
