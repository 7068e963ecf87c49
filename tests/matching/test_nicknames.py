from __future__ import annotations

import pytest

from leadsync.sync.matching.nicknames import canonical_first, same_person_name, table_size


def test_table_covers_at_least_150_formal_names() -> None:
    assert table_size() >= 150


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bob", "robert"),
        ("bill", "william"),
        ("liz", "elizabeth"),
        ("beth", "elizabeth"),
        ("liz", "beth"),
        ("jim", "james"),
        ("kate", "katherine"),
        ("mike", "michael"),
        ("peggy", "margaret"),
        ("ted", "edward"),
        ("ted", "theodore"),
    ],
    ids=lambda v: str(v),
)
def test_nickname_pairs_name_the_same_person(a: str, b: str) -> None:
    assert same_person_name(a, b)
    assert same_person_name(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("bob", "william"), ("mike", "mark"), ("jim", "john"), ("liz", "mary")],
    ids=lambda v: str(v),
)
def test_different_names_do_not_match(a: str, b: str) -> None:
    assert not same_person_name(a, b)


def test_canonical_first_folds_nicknames_and_keeps_unknown_names() -> None:
    assert canonical_first("bob") == canonical_first("robert") == "robert"
    assert canonical_first("bill") == "william"
    assert canonical_first("zephyrine") == "zephyrine"
