from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadsync.sandbox.salesforce import SalesforceSandbox

PEOPLE = [
    {"LastName": "Alpha", "Company": "A Corp", "Email": "alpha@a.com", "NumberOfEmployees": 10,
     "Industry": "Banking", "Leadsync_Id__c": "L1"},
    {"LastName": "Bravo", "Company": "B Corp", "Email": "bravo@b.com", "NumberOfEmployees": 200,
     "Industry": "Retail"},
    {"LastName": "Charlie", "Company": "C Corp", "NumberOfEmployees": 3000, "Industry": "Banking",
     "Status": "Working - Contacted"},
    {"LastName": "delta", "Company": "D Corp", "Email": "delta@b.com"},
]  # fmt: skip


@pytest.fixture
def people(sf_sandbox: SalesforceSandbox) -> dict[str, str]:
    return {p["LastName"]: sf_sandbox.create("Lead", p)["Id"] for p in PEOPLE}


def names(result: dict[str, Any]) -> list[str]:
    return [r["LastName"] for r in result["records"]]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("LastName = 'alpha'", ["Alpha"]),
        ("LastName != 'Alpha'", ["Bravo", "Charlie", "delta"]),
        ("NumberOfEmployees > 100", ["Bravo", "Charlie"]),
        ("NumberOfEmployees >= 200 AND NumberOfEmployees < 3000", ["Bravo"]),
        ("NumberOfEmployees <= 10", ["Alpha"]),
        ("Email = null", ["Charlie"]),
        ("Email != null AND NOT Email LIKE '%@b.com'", ["Alpha"]),
        ("Email LIKE '%@B.COM'", ["Bravo", "delta"]),
        ("LastName LIKE 'Br_vo'", ["Bravo"]),
        ("Industry IN ('Banking', 'Retail')", ["Alpha", "Bravo", "Charlie"]),
        ("Industry NOT IN ('Banking')", ["Bravo", "delta"]),
        ("(Industry = 'Banking' OR Industry = 'Retail') AND NumberOfEmployees > 50",
         ["Bravo", "Charlie"]),
        ("Status = 'Working - Contacted' OR Leadsync_Id__c = 'L1'", ["Alpha", "Charlie"]),
        ("IsDeleted = false AND CreatedDate > 2020-01-01T00:00:00Z",
         ["Alpha", "Bravo", "Charlie", "delta"]),
        ("CreatedDate < 2020-01-01T00:00:00+00:00", []),
        ("CreatedDate > 2020-01-01", ["Alpha", "Bravo", "Charlie", "delta"]),
    ],
    ids=["eq-ignores-case", "ne", "gt", "range", "le", "is-null", "not-like", "like-case",
         "like-underscore", "in", "not-in", "parens", "or", "bool-and-datetime-z",
         "datetime-offset", "date"],
)  # fmt: skip
def test_where_operators(sf: Any, people: dict[str, str], where: str, expected: list[str]) -> None:
    result = sf.query(f"SELECT Id, LastName FROM Lead WHERE {where} ORDER BY LastName")
    assert names(result) == expected
    assert result["totalSize"] == len(expected)
    assert result["done"] is True


def test_order_by_multiple_keys_desc_and_limit(sf: Any, people: dict[str, str]) -> None:
    result = sf.query(
        "SELECT LastName FROM Lead ORDER BY Industry DESC NULLS LAST, LastName ASC LIMIT 3"
    )
    assert names(result) == ["Bravo", "Alpha", "Charlie"]
    asc = sf.query("SELECT LastName FROM Lead ORDER BY Industry, LastName OFFSET 1")
    assert names(asc) == ["Alpha", "Charlie", "Bravo"]


def test_select_returns_only_requested_fields_with_attributes(
    sf: Any, people: dict[str, str]
) -> None:
    record = sf.query("SELECT Email, Id FROM Lead WHERE LastName = 'Alpha'")["records"][0]
    assert list(record) == ["attributes", "Email", "Id"]
    assert record["attributes"]["type"] == "Lead"
    assert record["Id"] == people["Alpha"]


def test_count_query(sf: Any, people: dict[str, str]) -> None:
    result = sf.query("SELECT COUNT() FROM Lead WHERE Industry = 'Banking'")
    assert (result["totalSize"], result["records"]) == (2, [])


def test_query_all_sees_deleted_rows(sf: Any, people: dict[str, str]) -> None:
    sf.Lead.delete(people["Bravo"])
    live = sf.query_all("SELECT LastName FROM Lead ORDER BY LastName")
    assert names(live) == ["Alpha", "Charlie", "delta"]
    every = sf.query_all(
        "SELECT LastName, IsDeleted FROM Lead ORDER BY LastName", include_deleted=True
    )
    flags = {r["LastName"]: r["IsDeleted"] for r in every["records"]}
    assert flags == {"Alpha": False, "Bravo": True, "Charlie": False, "delta": False}


def test_paging_over_2000_rows_with_next_records_url(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    for i in range(4500):
        sf_sandbox.create("Lead", {"LastName": f"P{i:05d}", "Company": "Paging"})
    first = sf.query("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert (first["totalSize"], len(first["records"]), first["done"]) == (4500, 2000, False)
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    calls_before = sf_sandbox.calls.calls("query")
    rows = list(sf.query_all_iter("SELECT Id, LastName FROM Lead ORDER BY LastName"))
    assert [r["LastName"] for r in rows] == [f"P{i:05d}" for i in range(4500)]
    assert sf_sandbox.calls.calls("query") - calls_before == 3


def test_paging_on_system_modstamp_cursor(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    for i in range(2500):
        sf_sandbox.create("Lead", {"LastName": f"M{i}", "Company": "Stamp"})
    since = datetime(2020, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    soql = (
        f"SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= {since} "
        "ORDER BY SystemModstamp"
    )
    stamps = [r["SystemModstamp"] for r in sf.query_all_iter(soql)]
    assert len(stamps) == 2500
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 2500


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead LIMIT ten", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE LastName = 'x' garbage", "MALFORMED_QUERY"),
        ("SELECT Id, Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE Nope = 1", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD"),
        ("SELECT Id FROM Opportunity", "INVALID_TYPE"),
    ],
    ids=["no-fields", "dangling-where", "bad-limit", "trailing", "unknown-select",
         "unknown-where", "quoted-datetime", "unknown-object"],
)  # fmt: skip
def test_bad_queries_raise_malformed_request(sf: Any, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(soql)
    assert info.value.content[0]["errorCode"] == code
