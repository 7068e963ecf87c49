from __future__ import annotations

from typing import Any

from leadsync.sandbox.salesforce import SalesforceSandbox, seed_salesforce
from leadsync.sandbox.salesforce.schema import INDUSTRIES, LEAD_STATUSES

VOLATILE = {"CreatedDate", "LastModifiedDate", "SystemModstamp"}


def snapshot(sandbox: SalesforceSandbox, obj: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in sandbox.rows(obj)]


def test_same_seed_gives_same_data_and_other_seed_differs() -> None:
    sizes = {"leads": 40, "contacts": 15, "accounts": 6, "users": 3}
    first, again, other = SalesforceSandbox(), SalesforceSandbox(), SalesforceSandbox()
    seed_salesforce(first, seed=11, **sizes)
    seed_salesforce(again, seed=11, **sizes)
    seed_salesforce(other, seed=12, **sizes)
    for obj in ("User", "Account", "Contact", "Lead"):
        assert snapshot(first, obj) == snapshot(again, obj)
    assert snapshot(first, "Lead") != snapshot(other, "Lead")


def test_seeded_records_are_valid_and_linked() -> None:
    sandbox = SalesforceSandbox()
    result = seed_salesforce(sandbox, seed=3, leads=60, contacts=20, accounts=5, users=2)
    assert (len(result.leads), len(result.contacts), len(result.accounts)) == (60, 20, 5)
    assert sandbox.count("User") == 3  # the admin plus two owners
    owners = set(result.users)
    for lead in sandbox.rows("Lead"):
        assert lead["OwnerId"] in owners
        assert lead["Status"] in LEAD_STATUSES
        assert lead["Industry"] in INDUSTRIES
        assert "@" in lead["Email"]
        assert lead["Email"].isascii()
    accounts = set(result.accounts)
    assert all(c["AccountId"] in accounts for c in sandbox.rows("Contact"))


def test_seeded_org_is_queryable_through_the_sdk(sf: Any, sf_sandbox: SalesforceSandbox) -> None:
    seed_salesforce(sf_sandbox, seed=1, leads=30, contacts=10, accounts=4, users=2)
    users = sf.query("SELECT Username, IsActive FROM User WHERE IsActive = true")
    assert users["totalSize"] == 3
    contacts = sf.query("SELECT Id, AccountId FROM Contact WHERE AccountId != null")
    assert contacts["totalSize"] == 10
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 30
