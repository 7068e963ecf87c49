from __future__ import annotations

from leadsync.mapping.model import Lead
from leadsync.sync.matching import MatchIndex, MatchSettings, Thresholds


def _ann() -> Lead:
    return Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee", company="Acme")


def test_add_remove_update_and_len() -> None:
    idx = MatchIndex()
    idx.add("a", _ann())
    idx.add("b", Lead(email="bo@globex.com", first_name="Bo", last_name="Chan"))
    assert len(idx) == 2
    assert "a" in idx
    assert idx.match(_ann()).decision == "match"
    assert idx.remove("a") is True
    assert idx.remove("a") is False
    assert len(idx) == 1
    assert idx.match(_ann()).decision == "new"
    idx.update("b", _ann())
    result = idx.match(_ann())
    assert result.best is not None
    assert result.best.key == "b"


def test_re_adding_a_key_replaces_its_record() -> None:
    idx = MatchIndex()
    idx.add("a", _ann())
    idx.add("a", Lead(email="zed@initech.com", first_name="Zed", last_name="Quimby"))
    assert len(idx) == 1
    assert idx.match(_ann()).decision == "new"


def test_exclude_skips_rejected_pairs() -> None:
    idx = MatchIndex()
    idx.add("a", _ann())
    result = idx.match(_ann(), exclude=lambda key: key == "a")
    assert result.decision == "new"
    assert result.best is None


def test_candidates_returns_blocked_keys_unscored() -> None:
    idx = MatchIndex()
    idx.add("a", _ann())
    idx.add("z", Lead(email="zed@initech.com", first_name="Zed", last_name="Quimby"))
    assert idx.candidates(_ann()) == ["a"]


def test_giant_blocks_are_skipped_but_other_keys_still_match() -> None:
    idx = MatchIndex(MatchSettings(max_block_size=5))
    for i in range(20):  # twenty John Smiths in one city: their name block outgrows the cap
        idx.add(
            f"js{i}",
            Lead(
                first_name="John", last_name="Smith", city="Denver", email=f"js{i}@example{i}.com"
            ),
        )
    assert idx.giant_blocks >= 1
    name_only = Lead(first_name="John", last_name="Smith", city="Denver")
    assert idx.candidates(name_only) == []
    result = idx.match(Lead(first_name="John", last_name="Smith", email="js7@example7.com"))
    assert result.decision == "match"
    assert result.best is not None
    assert result.best.key == "js7"


def test_per_object_thresholds_apply() -> None:
    strict = {"person": Thresholds(), "contact": Thresholds(match=0.999999, review=0.5)}
    idx = MatchIndex(MatchSettings(thresholds=strict))
    idx.add("a", Lead(first_name="Ann", last_name="Lee", company="Acme", city="Boston"))
    incoming = Lead(first_name="Ann", last_name="Lee", company="Acme Inc", city="Boston")
    assert idx.match(incoming).decision == "match"
    assert idx.match(incoming, object_kind="contact").decision == "review"


def test_match_many_keeps_order() -> None:
    idx = MatchIndex()
    idx.add("a", _ann())
    results = idx.match_many([_ann(), Lead(email="new@initech.com", last_name="Nobody")])
    assert [r.decision for r in results] == ["match", "new"]


def test_shared_switchboard_phone_is_weak_evidence() -> None:
    idx = MatchIndex()
    for i, (first, last) in enumerate([("Ann", "Lee"), ("Bo", "Chan"), ("Cy", "Diaz")]):
        idx.add(f"p{i}", Lead(first_name=first, last_name=last, phone="+14155550100"))
    result = idx.match(Lead(first_name="Dee", last_name="Evans", phone="+14155550100"))
    assert result.decision == "new"


def test_person_evidence_beats_a_higher_scoring_candidate_without_it() -> None:
    idx = MatchIndex()
    idx.add(
        "person",
        Lead(
            first_name="Ann",
            last_name="Lee",
            company="Acme",
            website_domain="acme.com",
            postal_code="02110",
        ),
    )
    idx.add(
        "near-miss",
        Lead(
            first_name="Bo",
            last_name="Lee",
            email="ann.leee@acme.com",
            company="Acme",
            postal_code="02110",
            phone="+14155550124",
        ),
    )
    incoming = Lead(
        first_name="Ann",
        last_name="Lee",
        email="ann.lee@acme.com",
        company="Acme",
        postal_code="02110",
        phone="+14155550123",
    )
    result = idx.match(incoming)
    assert result.candidates[0].key == "near-miss"
    assert result.decision == "match"
    assert result.best is not None
    assert result.best.key == "person"


def test_candidate_count_is_capped() -> None:
    idx = MatchIndex(MatchSettings(max_candidates=10, max_block_size=1000))
    for i in range(50):
        idx.add(f"k{i}", Lead(first_name="Ann", last_name="Lee", city="Boston"))
    assert len(idx.candidates(Lead(first_name="Ann", last_name="Lee", city="Boston"))) == 10
