from __future__ import annotations

from leadsync.mapping.model import Lead
from leadsync.sync.matching.dedupe import find_clusters


def test_clusters_join_duplicates_transitively() -> None:
    records = [
        ("r1", Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee")),
        ("r2", Lead(first_name="Bo", last_name="Chan", phone="+14155550123")),
        (
            "r3",
            Lead(
                email="ann.lee+x@acme.com", first_name="Anne", last_name="Lee", phone="+16175550000"
            ),
        ),
        ("r4", Lead(first_name="Ann", last_name="Lee", phone="(617) 555-0000")),
        ("r5", Lead(first_name="Bo", last_name="Chan", phone="415-555-0123")),
        ("r6", Lead(first_name="Cy", last_name="Diaz", email="cy@initech.com")),
    ]
    clusters = find_clusters(records)
    assert [c.keys for c in clusters] == [["r1", "r3", "r4"], ["r2", "r5"]]
    first = clusters[0]
    assert len(first.pairs) >= 2
    assert all(p.probability >= 0.95 for p in first.pairs)
    assert {p.a for p in first.pairs} | {p.b for p in first.pairs} == {"r1", "r3", "r4"}


def test_no_duplicates_no_clusters() -> None:
    records = [
        ("a", Lead(first_name="Ann", last_name="Lee", email="ann@acme.com")),
        ("b", Lead(first_name="Peter", last_name="Lee", email="peter@acme.com")),
    ]
    assert find_clusters(records) == []
