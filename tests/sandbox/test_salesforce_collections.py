from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadsync.sandbox.salesforce import SalesforceSandbox


def lead(i: int, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": f"L{i}", "Company": "Co", **extra}


def post(sf: Any, records: list[dict[str, Any]], all_or_none: bool = False, **kw: Any) -> Any:
    body = {"allOrNone": all_or_none, "records": records}
    return sf.restful("composite/sobjects", method="POST", json=body, **kw)


def test_create_200_records_in_one_call(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    results = post(sf, [lead(i) for i in range(200)])
    assert len(results) == 200
    assert all(r["success"] for r in results)
    assert len({r["id"] for r in results}) == 200
    assert sf_sandbox.count("Lead") == 200
    assert sf_sandbox.calls.snapshot()["composite.create"] == (1, 200)


def test_more_than_200_records_is_refused(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        post(sf, [lead(i) for i in range(201)])
    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    assert sf_sandbox.count("Lead") == 0


def test_partial_success_without_all_or_none(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    results = post(sf, [lead(0), {"attributes": {"type": "Lead"}, "LastName": "x"}, lead(2)])
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"] == [
        {
            "statusCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [Company]",
            "fields": ["Company"],
        }
    ]  # fmt: skip
    assert sf_sandbox.count("Lead") == 2


def test_all_or_none_rolls_back_every_record(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    existing = sf_sandbox.create("Lead", {"LastName": "Keep", "Company": "Co"})["Id"]
    results = post(sf, [lead(0), lead(1, Email="bad"), lead(2)], all_or_none=True)
    codes = [r["errors"][0]["statusCode"] for r in results]
    assert codes == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_EMAIL_ADDRESS",
                     "ALL_OR_NONE_OPERATION_ROLLED_BACK"]  # fmt: skip
    assert all(r["id"] is None for r in results)
    assert not any(r["success"] for r in results)
    assert [r["Id"] for r in sf_sandbox.rows("Lead")] == [existing]


def test_all_or_none_rolls_back_updates_and_external_id_index(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    target = sf_sandbox.create("Lead", {"LastName": "T", "Company": "Co", "Leadsync_Id__c": "k1"})
    body = {"allOrNone": True, "records": [
        {"attributes": {"type": "Lead"}, "Id": target["Id"], "Leadsync_Id__c": "k2"},
        {"attributes": {"type": "Lead"}, "Id": target["Id"], "Status": "Nope"},
    ]}  # fmt: skip
    results = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert [r["success"] for r in results] == [False, False]
    assert sf_sandbox.find_external("Lead", "Leadsync_Id__c", "k1") == target["Id"]
    assert sf_sandbox.find_external("Lead", "Leadsync_Id__c", "k2") is None
    assert sf_sandbox.get("Lead", target["Id"]) == target


def test_update_and_delete_collections(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    ids = [r["id"] for r in post(sf, [lead(i) for i in range(3)])]
    body = {"records": [{"attributes": {"type": "Lead"}, "Id": i, "Title": "VP"} for i in ids]}
    assert all(r["success"] for r in sf.restful("composite/sobjects", method="PATCH", json=body))
    assert {r["Title"] for r in sf_sandbox.rows("Lead")} == {"VP"}
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids[:2])})
    assert [(r["id"], r["success"]) for r in deleted] == [(ids[0], True), (ids[1], True)]
    assert [r["Id"] for r in sf_sandbox.rows("Lead")] == [ids[2]]
    again = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids[0]})
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_upsert_collection_reports_created_flags(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.create("Lead", {"LastName": "Old", "Company": "Co", "Leadsync_Id__c": "u1"})
    records = [lead(1, Leadsync_Id__c="u1"), lead(2, Leadsync_Id__c="u2"), lead(3)]
    results = sf.restful(
        "composite/sobjects/Lead/Leadsync_Id__c", method="PATCH", json={"records": records}
    )
    assert [(r["success"], r["created"]) for r in results] == [(True, False), (True, True),
                                                              (False, False)]  # fmt: skip
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert sf_sandbox.get("Lead", results[0]["id"])["LastName"] == "L1"


def test_duplicate_rule_blocks_unless_header_allows(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.duplicate_rule = True
    sf_sandbox.create("Lead", {"LastName": "A", "Company": "Co", "Email": "same@x.com"})
    blocked = post(sf, [lead(1, Email="SAME@x.com")])
    assert blocked[0]["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
    header = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}
    allowed = post(sf, [lead(1, Email="SAME@x.com")], headers=header)
    assert allowed[0]["success"] is True


def test_lock_row_injection_is_a_retryable_per_record_failure(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.lock_rows(lambda r: r.get("LastName") == "L1", times=1)
    first = post(sf, [lead(0), lead(1)])
    assert first[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert first[0]["success"] is True
    retry = post(sf, [lead(1)])
    assert retry[0]["success"] is True


def test_fault_plan_record_rejection_reaches_results(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.faults.reject_records(
        lambda r: "no gmail" if "gmail" in (r.get("Email") or "") else None
    )
    results = post(sf, [lead(0, Email="a@gmail.com"), lead(1, Email="a@corp.com")])
    assert results[0]["errors"][0] == {
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "no gmail",
        "fields": [],
    }
    assert results[1]["success"] is True


def test_concurrent_collection_creates_get_unique_ids(
    sf_server: Any, sf_sandbox: SalesforceSandbox
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from leadsync.sandbox.clients import salesforce_client

    clients = [salesforce_client(sf_server) for _ in range(4)]

    def work(n: int) -> list[str]:
        sf = clients[n % 4]
        results = post(sf, [lead(n * 1000 + i, Leadsync_Id__c=f"c{n}-{i}") for i in range(50)])
        return [r["id"] for r in results if r["success"]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = [i for batch in pool.map(work, range(12)) for i in batch]
    assert len(ids) == len(set(ids)) == 600
    assert sf_sandbox.count("Lead") == 600
    assert sf_sandbox.calls.snapshot()["composite.create"] == (12, 600)


def test_record_rejection_applies_to_writes_not_deletes(
    sf: Any, sf_sandbox: SalesforceSandbox
) -> None:
    target = sf_sandbox.create("Lead", {"LastName": "Flagged", "Company": "Co"})["Id"]
    sf_sandbox.faults.reject_records(
        lambda r: "flagged" if r.get("LastName") == "Flagged" else None
    )
    body = {"records": [{"attributes": {"type": "Lead"}, "Id": target, "Title": "x"}]}
    update = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert update[0]["errors"][0]["message"] == "flagged"
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": target})
    assert deleted[0]["success"] is True
