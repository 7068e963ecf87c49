"""CRM search through the real SDK: operators, groups, sorts, paging, caps, incremental reads."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot_fixtures import *  # noqa: F403  (hs_ fixtures)

from leadsync.sandbox.hubspot import search
from leadsync.sandbox.hubspot.models import CONTACTS
from leadsync.sandbox.hubspot.properties import iso_ms
from leadsync.sandbox.hubspot.store import Clock, ObjectStore

PEOPLE = [
    {
        "email": "ada@x.io",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "annualrevenue": "100",
        "lifecyclestage": "lead",
        "city": "London",
    },
    {
        "email": "grace@navy.mil",
        "firstname": "Grace",
        "lastname": "Hopper",
        "annualrevenue": "250",
        "lifecyclestage": "customer",
        "city": "Arlington",
    },
    {
        "email": "alan@x.io",
        "firstname": "Alan",
        "lastname": "Turing",
        "annualrevenue": "50",
        "lifecyclestage": "lead",
    },
    {
        "email": "edsger@y.org",
        "firstname": "Edsger",
        "lastname": "Dijkstra",
        "lifecyclestage": "opportunity",
        "city": "Austin",
    },
]


@pytest.fixture
def people(hs_client: Any) -> dict[str, str]:
    body = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[{"properties": p} for p in PEOPLE]
    )
    made = hs_client.crm.contacts.batch_api.create(body).results
    return {m.properties["firstname"]: m.id for m in made}


def _search(client: Any, **kw: Any) -> Any:
    kw.setdefault("properties", ["firstname"])
    return client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**kw))


def _names(result: Any) -> list[str]:
    return [r.properties["firstname"] for r in result.results]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"propertyName": "email", "operator": "EQ", "value": "ADA@x.io"}, {"Ada"}),
        ({"propertyName": "firstname", "operator": "EQ", "value": "ada"}, {"Ada"}),
        (
            {"propertyName": "lifecyclestage", "operator": "NEQ", "value": "lead"},
            {"Grace", "Edsger"},
        ),
        ({"propertyName": "annualrevenue", "operator": "LT", "value": "100"}, {"Alan"}),
        ({"propertyName": "annualrevenue", "operator": "LTE", "value": "100"}, {"Ada", "Alan"}),
        ({"propertyName": "annualrevenue", "operator": "GT", "value": "100"}, {"Grace"}),
        ({"propertyName": "annualrevenue", "operator": "GTE", "value": "100"}, {"Ada", "Grace"}),
        (
            {
                "propertyName": "annualrevenue",
                "operator": "BETWEEN",
                "value": "60",
                "highValue": "300",
            },
            {"Ada", "Grace"},
        ),
        (
            {
                "propertyName": "lifecyclestage",
                "operator": "IN",
                "values": ["customer", "opportunity"],
            },
            {"Grace", "Edsger"},
        ),
        (
            {"propertyName": "lifecyclestage", "operator": "NOT_IN", "values": ["lead"]},
            {"Grace", "Edsger"},
        ),
        ({"propertyName": "city", "operator": "HAS_PROPERTY"}, {"Ada", "Grace", "Edsger"}),
        ({"propertyName": "city", "operator": "NOT_HAS_PROPERTY"}, {"Alan"}),
        (
            {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@x.io"},
            {"Ada", "Alan"},
        ),
        ({"propertyName": "lastname", "operator": "CONTAINS_TOKEN", "value": "hopper"}, {"Grace"}),
        (
            {"propertyName": "email", "operator": "NOT_CONTAINS_TOKEN", "value": "*@x.io"},
            {"Grace", "Edsger"},
        ),
    ],
    ids=[
        "eq-email",
        "eq-case",
        "neq",
        "lt",
        "lte",
        "gt",
        "gte",
        "between",
        "in",
        "not-in",
        "has",
        "not-has",
        "token-wildcard",
        "token",
        "not-token",
    ],
)
def test_operator(
    hs_client: Any, people: dict[str, str], flt: dict[str, Any], expected: set[str]
) -> None:
    result = _search(hs_client, filter_groups=[{"filters": [flt]}])
    assert set(_names(result)) == expected
    assert result.total == len(expected)


def test_groups_are_ored_and_filters_anded(hs_client: Any, people: dict[str, str]) -> None:
    lead_in_london = [
        {"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
        {"propertyName": "city", "operator": "EQ", "value": "London"},
    ]
    customers = [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]
    result = _search(hs_client, filter_groups=[{"filters": lead_in_london}, {"filters": customers}])
    assert set(_names(result)) == {"Ada", "Grace"}


@pytest.mark.parametrize(
    "sorts",
    [[{"propertyName": "annualrevenue", "direction": "DESCENDING"}], ["-annualrevenue"]],
    ids=["object-form", "string-form"],
)
def test_sort_descending_puts_missing_last(
    hs_client: Any, people: dict[str, str], sorts: list[Any]
) -> None:
    assert _names(_search(hs_client, sorts=sorts)) == ["Grace", "Ada", "Alan", "Edsger"]


def test_paging_and_requested_properties(hs_client: Any, people: dict[str, str]) -> None:
    first = _search(hs_client, limit=3, sorts=["firstname"], properties=["city"])
    assert first.total == 4
    assert first.paging.next.after == "3"
    assert set(first.results[0].properties) == {
        "city",
        "createdate",
        "hs_object_id",
        "lastmodifieddate",
    }
    second = _search(hs_client, limit=3, after="3", sorts=["firstname"])
    assert _names(second) == ["Grace"]
    assert second.paging is None


def test_query_matches_name_prefix(hs_client: Any, people: dict[str, str]) -> None:
    assert _names(_search(hs_client, query="lovel")) == ["Ada"]


@pytest.mark.parametrize(
    "request_kw",
    [
        {"limit": 201},
        {"after": "10000"},
        {
            "filter_groups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}]
            * 6
        },
        {
            "filter_groups": [
                {"filters": [{"propertyName": "email", "operator": "LIKE", "value": "a"}]}
            ]
        },
    ],
    ids=["limit-over-200", "after-10000", "six-groups", "bad-operator"],
)
def test_invalid_search_is_400(hs_client: Any, request_kw: dict[str, Any]) -> None:
    with pytest.raises(ApiException) as caught:
        _search(hs_client, **request_kw)
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_incremental_read_by_lastmodifieddate(hs_client: Any, people: dict[str, str]) -> None:
    every = _search(hs_client, sorts=["lastmodifieddate"], properties=["lastmodifieddate"])
    cursor = every.results[-1].properties["lastmodifieddate"]
    body = SimplePublicObjectInput(properties={"jobtitle": "Mathematician"})
    hs_client.crm.contacts.basic_api.update(people["Alan"], body)
    since = [{"propertyName": "lastmodifieddate", "operator": "GT", "value": cursor}]
    changed = _search(hs_client, filter_groups=[{"filters": since}])
    assert _names(changed) == ["Alan"]


def test_search_total_is_uncapped_but_paging_stops_at_10000() -> None:
    store = ObjectStore(CONTACTS, Clock())
    for i in range(10_050):
        store.create({"email": f"c{i}@x.io"}, at_ms=1_000_000 + i)
    page, total, nxt = search.run_search(store, {"limit": 100, "after": "9900"})
    assert (len(page), total, nxt) == (100, 10_050, 10_000)


@pytest.fixture(scope="module")
def big_store() -> ObjectStore:
    store = ObjectStore(CONTACTS, Clock())
    for i in range(20_000):
        store.create({"email": f"c{i}@x.io"}, at_ms=1_600_000_000_000 + 7 * i)
    rng = random.Random(3)
    for obj in rng.sample(list(store.live()), 500):
        store.update(obj, {"firstname": "Touched"})
    return store


@pytest.mark.parametrize(
    ("op", "low", "high"),
    [("GTE", 50_000, None), ("LT", 700, None), ("BETWEEN", 1_000, 90_000), ("GT", 139_993, None)],
    ids=["gte", "lt", "between", "gt-last-seeded"],
)
def test_modified_range_uses_index_and_matches_scan(
    big_store: ObjectStore, op: str, low: int, high: int | None
) -> None:
    base = 1_600_000_000_000
    flt: dict[str, Any] = {
        "propertyName": "lastmodifieddate",
        "operator": op,
        "value": iso_ms(base + low),
    }
    if high is not None:
        flt["highValue"] = str(base + high)
    candidates = list(search._candidates(big_store, [flt]))
    check = search._predicate(big_store, flt)
    expected = [o for o in big_store.live() if check(o)]
    assert sorted(o.id for o in candidates) == sorted(o.id for o in expected)
    assert len(candidates) < len(big_store)  # answered from the index, not a scan
    page, total, _ = search.run_search(
        big_store,
        {"filterGroups": [{"filters": [flt]}], "limit": 200, "sorts": ["lastmodifieddate"]},
    )
    assert total == len(expected)
    assert [o.updated_ms for o in page] == sorted(o.updated_ms for o in expected)[:200]
