from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from leadsync.sandbox.salesforce import SalesforceSandbox
from leadsync.sandbox.salesforce.ids import checksum, to18

LEAD = {"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical", "Email": "ada@ex.com"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [
        ("001000000000001", "AAA"),
        ("00QDn0000000002", "MAA"),
        ("003ABCDEabcdeAB", "YHY"),
        ("001A0000006Vm9r", "IAC"),
    ],
    ids=["all-digits", "two-upper", "mixed", "documented-example"],
)
def test_checksum_matches_salesforce_algorithm(id15: str, suffix: str) -> None:
    assert checksum(id15) == suffix
    assert to18(id15) == id15 + suffix


def test_create_get_update_delete_roundtrip(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    created = sf.Lead.create(LEAD)
    assert created["success"] is True
    assert created["errors"] == []
    lead_id = created["id"]
    assert lead_id.startswith("00Q")
    assert len(lead_id) == 18
    assert lead_id[15:] == checksum(lead_id[:15])
    got = sf.Lead.get(lead_id)
    assert got["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v60.0/sobjects/Lead/{lead_id}",
    }
    assert got["Status"] == "Open - Not Contacted"
    assert got["Name"] == "Ada Lovelace"
    assert got["OwnerId"] == sf_sandbox.admin_user_id
    assert got["IsDeleted"] is False
    for stamp in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert STAMP.match(got[stamp])
    assert sf.Lead.update(lead_id, {"Title": "Countess"}) == 204
    updated = sf.Lead.get(lead_id)
    assert updated["Title"] == "Countess"
    assert updated["SystemModstamp"] > got["SystemModstamp"]
    assert sf.Lead.get(lead_id[:15])["Id"] == lead_id
    assert sf.Lead.delete(lead_id) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get(lead_id)
    assert sf_sandbox.get("Lead", lead_id, include_deleted=True)["IsDeleted"] is True


def test_contact_and_account_use_their_key_prefixes(sf: Any) -> None:
    account = sf.Account.create({"Name": "Initech", "Industry": "Technology"})["id"]
    contact = sf.Contact.create({"LastName": "Gibbons", "AccountId": account})["id"]
    assert (account[:3], contact[:3]) == ("001", "003")
    assert sf.Contact.get(contact)["AccountId"] == account


def test_upsert_by_external_id_creates_then_updates(sf: Any) -> None:
    assert sf.Lead.upsert("Leadsync_Id__c/ext-1", {"LastName": "A", "Company": "B"}) == 201
    first = sf.Lead.get_by_custom_id("Leadsync_Id__c", "ext-1")
    response = sf.Lead.upsert("Leadsync_Id__c/ext-1", {"Title": "CFO"}, raw_response=True)
    assert response.status_code == 200
    assert response.json() == {"id": first["Id"], "success": True, "errors": [], "created": False}
    assert sf.Lead.get_by_custom_id("Leadsync_Id__c", "ext-1")["Title"] == "CFO"


def test_duplicate_external_id_is_rejected(sf: Any) -> None:
    sf.Lead.create({**LEAD, "Leadsync_Id__c": "dup"})
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, "Email": "other@ex.com", "Leadsync_Id__c": "dup"})
    assert info.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


@pytest.mark.parametrize(
    ("patch", "code", "fields"),
    [
        ({"LastName": None}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ({"Company": "x" * 256}, "STRING_TOO_LONG", ["Company"]),
        ({"Status": "Maybe"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({"Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ({"Nope__c": 1}, "INVALID_FIELD", ["Nope__c"]),
        ({"NumberOfEmployees": "many"}, "INVALID_TYPE_ON_FIELD_IN_RECORD", ["NumberOfEmployees"]),
        ({"CreatedDate": "2024-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         ["CreatedDate"]),
        ({"OwnerId": "005000000000099AAA"}, "INVALID_CROSS_REFERENCE_KEY", ["OwnerId"]),
    ],
    ids=["required", "too-long", "restricted-picklist", "email", "unknown-field", "type",
         "read-only", "bad-owner"],
)  # fmt: skip
def test_validation_errors_have_real_codes(
    sf: Any, patch: dict[str, Any], code: str, fields: list[str]
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, **patch})
    assert info.value.status == 400
    assert info.value.content[0]["errorCode"] == code
    assert info.value.content[0]["fields"] == fields


def test_unpicklisted_value_is_accepted_on_unrestricted_picklist(sf: Any) -> None:
    lead = sf.Lead.create({**LEAD, "Industry": "Space Mining"})["id"]
    assert sf.Lead.get(lead)["Industry"] == "Space Mining"


def test_describe_reports_fields_picklists_and_external_id(sf: Any) -> None:
    describe = sf.Lead.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "00Q"
    assert fields["LastName"]["nillable"] is False
    assert fields["LastName"]["length"] == 80
    status = fields["Status"]
    assert status["restrictedPicklist"] is True
    assert status["defaultedOnCreate"] is True
    first = status["picklistValues"][0]
    assert (first["value"], first["label"], first["active"]) == ("Open - Not Contacted",) * 2 + (
        True,
    )
    ext = fields["Leadsync_Id__c"]
    assert (ext["externalId"], ext["unique"], ext["type"]) == (True, True, "string")
    assert fields["Id"]["createable"] is False
    assert fields["Email"]["type"] == "email"
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert names == {"Lead", "Contact", "Account", "User"}


def test_limits_and_usage_header(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.daily_limit = 500
    limits = sf.limits()
    used = sf.api_usage["api-usage"]
    assert (used.total, used.used) == (500, sf_sandbox.api_usage)
    assert limits["DailyApiRequests"]["Max"] == 500
    assert limits["DailyApiRequests"]["Remaining"] == 500 - sf_sandbox.api_usage


def test_updated_and_deleted_windows(sf: Any) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    keep = sf.Lead.create(LEAD)["id"]
    gone = sf.Lead.create({**LEAD, "Email": "b@ex.com"})["id"]
    sf.Lead.delete(gone)
    end = datetime.now(UTC) + timedelta(minutes=1)
    assert sf.Lead.updated(start, end)["ids"] == [keep]
    deleted = sf.Lead.deleted(start, end)["deletedRecords"]
    assert [d["id"] for d in deleted] == [gone]
    assert sf.Lead.updated(end, end + timedelta(minutes=1))["ids"] == []


def test_unknown_object_and_id_are_not_found(sf: Any) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Opportunity.create({"Name": "x"})
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get("00Q000000000000AAA")
