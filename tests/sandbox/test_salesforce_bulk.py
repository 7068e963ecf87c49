from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from leadsync.sandbox.salesforce import SalesforceSandbox


def write_csv(path: Path, rows: list[dict[str, Any]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk_insert_with_failures_and_results(
    sf: Any, sf_sandbox: SalesforceSandbox, tmp_path: Path
) -> None:
    rows = [
        {"LastName": "Ok1", "Company": "Co", "Email": "ok1@x.com", "NumberOfEmployees": "12"},
        {"LastName": "Bad", "Company": "", "Email": "bad@x.com", "NumberOfEmployees": ""},
        {"LastName": "Ok2", "Company": "Co", "Email": "", "NumberOfEmployees": "7"},
    ]
    [result] = sf.bulk2.Lead.insert(csv_file=write_csv(tmp_path / "in.csv", rows), wait=0)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (3, 1)
    assert result["numberRecordsTotal"] == 3
    ok = parse(sf.bulk2.Lead.get_successful_records(result["job_id"]))
    assert [r["LastName"] for r in ok] == ["Ok1", "Ok2"]
    assert all(r["sf__Created"] == "true" for r in ok)
    assert all(r["sf__Id"].startswith("00Q") for r in ok)
    stored = sf_sandbox.get("Lead", ok[0]["sf__Id"])
    assert (stored["NumberOfEmployees"], stored["Email"]) == (12, "ok1@x.com")
    failed = parse(sf.bulk2.Lead.get_failed_records(result["job_id"]))
    assert [r["LastName"] for r in failed] == ["Bad"]
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    assert parse(sf.bulk2.Lead.get_unprocessed_records(result["job_id"])) == []
    assert sf_sandbox.calls.records("bulk2.ingest.insert") == 3


def test_bulk_upsert_update_and_delete(
    sf: Any, sf_sandbox: SalesforceSandbox, tmp_path: Path
) -> None:
    existing = sf_sandbox.create(
        "Lead", {"LastName": "Old", "Company": "Co", "Leadsync_Id__c": "e1"}
    )
    rows = [
        {"Leadsync_Id__c": "e1", "LastName": "Renamed", "Company": "Co"},
        {"Leadsync_Id__c": "e2", "LastName": "New", "Company": "Co"},
    ]
    [res] = sf.bulk2.Lead.upsert(
        csv_file=write_csv(tmp_path / "up.csv", rows), external_id_field="Leadsync_Id__c", wait=0
    )
    assert res["numberRecordsFailed"] == 0
    created = {r["Leadsync_Id__c"]: r["sf__Created"] for r in parse(
        sf.bulk2.Lead.get_successful_records(res["job_id"]))}  # fmt: skip
    assert created == {"e1": "false", "e2": "true"}
    assert sf_sandbox.get("Lead", existing["Id"])["LastName"] == "Renamed"
    [upd] = sf.bulk2.Lead.update(records=[{"Id": existing["Id"], "Title": "Boss"}], wait=0)
    assert upd["numberRecordsFailed"] == 0
    assert sf_sandbox.get("Lead", existing["Id"])["Title"] == "Boss"
    [dele] = sf.bulk2.Lead.delete(
        csv_file=write_csv(tmp_path / "d.csv", [{"Id": existing["Id"]}]), wait=0
    )
    assert dele["numberRecordsProcessed"] == 1
    assert sf_sandbox.get("Lead", existing["Id"]) is None


def test_bulk_hard_delete_purges_rows(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    soft = sf_sandbox.create("Lead", {"LastName": "Soft", "Company": "Co"})["Id"]
    hard = sf_sandbox.create("Lead", {"LastName": "Hard", "Company": "Co"})["Id"]
    sf.bulk2.Lead.delete(records=[{"Id": soft}], wait=0)
    sf.bulk2.Lead.hard_delete(records=[{"Id": hard}], wait=0)
    every = sf.query_all("SELECT Id FROM Lead", include_deleted=True)["records"]
    assert [r["Id"] for r in every] == [soft]


def test_bulk_job_info_shape(sf: Any, tmp_path: Path) -> None:
    [res] = sf.bulk2.Lead.insert(records=[{"LastName": "A", "Company": "B"}], wait=0)
    info = sf.bulk2.Lead._client.get_job(res["job_id"], False)
    assert info["state"] == "JobComplete"
    assert info["id"].startswith("750")
    assert info["object"] == "Lead"
    assert (info["operation"], info["jobType"], info["contentType"]) == (
        "insert",
        "V2Ingest",
        "CSV",
    )


@pytest.mark.parametrize("max_records", [2, 50000], ids=["paged", "single-page"])
def test_bulk_query_pages_with_locator(
    sf: Any, sf_sandbox: SalesforceSandbox, max_records: int
) -> None:
    for i in range(5):
        sf_sandbox.create("Lead", {"LastName": f"Q{i}", "Company": "Co", "Email": f"q{i}@x.com"})
    pages = list(
        sf.bulk2.Lead.query(
            "SELECT LastName, Email FROM Lead ORDER BY LastName", max_records=max_records, wait=0
        )
    )
    assert len(pages) == (3 if max_records == 2 else 1)
    rows = [r for page in pages for r in parse(page)]
    assert [(r["LastName"], r["Email"]) for r in rows] == [
        (f"Q{i}", f"q{i}@x.com") for i in range(5)
    ]


def test_bulk_query_all_includes_deleted(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    gone = sf_sandbox.create("Lead", {"LastName": "Gone", "Company": "Co"})
    sf_sandbox.delete("Lead", gone["Id"])
    pages = list(sf.bulk2.Lead.query_all("SELECT Id, IsDeleted FROM Lead", wait=0))
    assert parse(pages[0]) == [{"Id": gone["Id"], "IsDeleted": "true"}]
