"""Search paging answers exactly what filtering, sorting and slicing every record would.

``run_search`` slices incremental reads from the ``(modified, id)`` index and keeps other
results between pages; these tests page through random searches over random data (ties in the
modified time, writes between pages) and compare every page with the straightforward answer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from leadsync.sandbox.hubspot import search
from leadsync.sandbox.hubspot.models import CONTACTS
from leadsync.sandbox.hubspot.properties import iso_ms
from leadsync.sandbox.hubspot.store import Clock, HubSpotObject, ObjectStore

BASE_MS = 1_600_000_000_000
NAMES = ["Ada", "Alan", "Grace", "Edsger", "Barbara"]
CITIES = ["London", "Austin", "Paris"]
RANGE_OPS = ["GT", "GTE", "LT", "LTE", "BETWEEN", "EQ"]


def _reference(store: ObjectStore, body: Mapping[str, Any]) -> list[int]:
    """Ids of every live record matching ``body``, in answer order: filter all, then sort."""
    groups = [list(g.get("filters") or []) for g in body.get("filterGroups") or []] or [[]]
    checks = [[search._predicate(store, f) for f in group] for group in groups]
    hits = [o for o in store.live() if any(all(c(o) for c in group) for group in checks)]
    if body.get("query"):
        keep = search._query_filter(store, str(body["query"]))
        hits = [o for o in hits if keep(o)]
    key, descending = search._sort_key(store, list(body.get("sorts") or []))
    present = sorted(
        (o for o in hits if key(o) is not None), key=lambda o: (key(o), o.id), reverse=descending
    )
    missing = sorted((o for o in hits if key(o) is None), key=lambda o: o.id)
    return [o.id for o in present + missing]


def _store(rng: random.Random, size: int) -> ObjectStore:
    # A stopped wall clock: every write takes the next millisecond after the last one seen.
    store = ObjectStore(CONTACTS, Clock(wall=lambda: BASE_MS / 1000))
    for i in range(size):
        values: dict[str, str | None] = {"email": f"p{i}@x.io"}
        if rng.random() < 0.7:
            values["firstname"] = rng.choice(NAMES)
        if rng.random() < 0.5:
            values["city"] = rng.choice(CITIES)
        # Few distinct milliseconds: many records share one, so ties are broken by id.
        store.create(values, at_ms=BASE_MS + rng.randrange(60) * 1000)
    return store


def _bound(rng: random.Random) -> str:
    ms = BASE_MS + rng.randrange(-2, 70) * 1000 + rng.choice([0, 0, 1, -1])
    return rng.choice([str(ms), iso_ms(ms), iso_ms(ms), "not a date"])


def _modified_filter(rng: random.Random) -> dict[str, Any]:
    op = rng.choice(RANGE_OPS)
    flt: dict[str, Any] = {"propertyName": "lastmodifieddate", "operator": op}
    flt["value"] = _bound(rng)
    if op == "BETWEEN" and rng.random() < 0.9:
        flt["highValue"] = _bound(rng)
    return flt


def _other_filter(rng: random.Random) -> dict[str, Any]:
    return rng.choice(
        [
            {"propertyName": "firstname", "operator": "EQ", "value": rng.choice(NAMES)},
            {"propertyName": "city", "operator": "HAS_PROPERTY"},
            {"propertyName": "city", "operator": "NOT_HAS_PROPERTY"},
            {"propertyName": "createdate", "operator": "GTE", "value": _bound(rng)},
            {"propertyName": "hs_object_id", "operator": "LT", "value": str(rng.randrange(500))},
        ]
    )


def _sorts(rng: random.Random) -> list[Any]:
    return rng.choice(
        [
            [],
            [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
            ["lastmodifieddate"],
            ["-lastmodifieddate"],
            [{"propertyName": "firstname", "direction": "DESCENDING"}],
            ["createdate"],
            ["-hs_object_id"],
        ]
    )


def _body(rng: random.Random) -> dict[str, Any]:
    groups = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        filters = [_modified_filter(rng) for _ in range(rng.choice([1, 1, 2]))]
        if rng.random() < 0.3:
            filters.append(_other_filter(rng))
        rng.shuffle(filters)
        groups.append({"filters": filters})
    body: dict[str, Any] = {"filterGroups": groups if rng.random() < 0.9 else []}
    body["sorts"] = _sorts(rng)
    if rng.random() < 0.1:
        body["query"] = rng.choice(["a", "gr", "p1"])
    return body


def _write(rng: random.Random, store: ObjectStore) -> None:
    live = list(store.live())
    choice = rng.random()
    if choice < 0.5 and live:
        store.update(rng.choice(live), {"firstname": rng.choice(NAMES)})
    elif choice < 0.8 or not live:
        store.create({"email": f"new{store.version}@x.io", "city": rng.choice(CITIES)})
    else:
        store.archive(rng.choice(live))


def _page_through(
    rng: random.Random, store: ObjectStore, body: dict[str, Any], *, writes: bool
) -> int:
    """Page ``body`` to its end, checking every page; return the number of pages."""
    limit, after, pages = rng.choice([1, 7, 30, 200]), 0, 0
    while True:
        request = {**body, "limit": limit, "after": str(after) if after else None}
        page, total, nxt = search.run_search(store, request)
        expected = _reference(store, body)
        assert [o.id for o in page] == expected[after : after + limit], body
        assert total == len(expected)
        assert nxt == (after + limit if after + limit < len(expected) else None)
        pages += 1
        if nxt is None:
            return pages
        after = nxt
        if writes and rng.random() < 0.2:
            _write(rng, store)


@pytest.mark.parametrize("seed", range(12))
def test_random_searches_page_like_the_straightforward_filter(seed: int) -> None:
    rng = random.Random(seed)
    store = _store(rng, size=rng.choice([0, 5, 120, 400]))
    for _ in range(25):
        _page_through(rng, store, _body(rng), writes=rng.random() < 0.5)


def test_search_all_is_the_reference_answer() -> None:
    rng = random.Random(99)
    store = _store(rng, size=300)
    for _ in range(200):
        body = _body(rng)
        assert [o.id for o in search.search_all(store, body)] == _reference(store, body)


def _since(ms: int, *, descending: bool = False) -> dict[str, Any]:
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": ms}]}
        ],
        "sorts": [
            {
                "propertyName": "lastmodifieddate",
                "direction": "DESCENDING" if descending else "ASCENDING",
            }
        ],
    }


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_index_paging_keeps_the_cap_and_the_total(descending: bool) -> None:
    store = ObjectStore(CONTACTS, Clock())
    for i in range(10_050):
        store.create({"email": f"c{i}@x.io"}, at_ms=BASE_MS + i // 3)
    body = {**_since(BASE_MS + 10, descending=descending), "limit": 100, "after": "9900"}
    page, total, nxt = search.run_search(store, body)
    expected = _reference(store, body)
    assert (len(page), total, nxt) == (100, 10_050 - 30, 10_000)
    assert [o.id for o in page] == expected[9900:10_000]
    assert not store.memo  # answered from the index: nothing evaluated, nothing kept


def _ids(page: list[HubSpotObject]) -> list[int]:
    return [o.id for o in page]


def test_general_search_is_evaluated_once_per_paging_sequence() -> None:
    store = _store(random.Random(5), size=200)
    has_email = {"propertyName": "email", "operator": "HAS_PROPERTY"}
    body = {"filterGroups": [{"filters": [has_email]}], "sorts": ["lastmodifieddate"], "limit": 50}
    first, total, nxt = search.run_search(store, body)
    [(version, ordered, kept_total)] = store.memo.values()
    assert (version, kept_total, _ids(ordered[:50])) == (store.version, total, _ids(first))
    second, _, _ = search.run_search(store, {**body, "after": str(nxt)})
    assert next(iter(store.memo.values()))[1] is ordered  # the same evaluation, reused
    assert _ids(second) == _ids(ordered[50:100])
    store.update(second[0], {"firstname": "Changed"})  # any write makes the kept result stale
    third, _, _ = search.run_search(store, {**body, "after": str(nxt)})
    assert next(iter(store.memo.values()))[0] == store.version
    assert _ids(third) == _reference(store, body)[50:100] != _ids(second)
