from __future__ import annotations

import pytest

from leadsync.mapping.model import Account, Lead
from leadsync.sync.matching.accounts import AccountIndex


@pytest.fixture
def accounts() -> AccountIndex:
    idx = AccountIndex()
    idx.add("acc:acme", Account(name="Acme Corporation", domain="acme.com"))
    idx.add("acc:globex", Account(name="Globex GmbH", domain="https://www.globex.de"))
    idx.add("acc:initech", Account(name="Initech Software Solutions"))
    idx.add("acc:gone", Account(name="Hooli", domain="hooli.com", deleted=True))
    return idx


@pytest.mark.parametrize(
    ("lead", "key", "reason"),
    [
        (Lead(email="ann@acme.com"), "acc:acme", "email_domain"),
        (Lead(email="ann@eu.acme.com"), "acc:acme", "email_domain"),
        (Lead(email="ann@gmail.com", website_domain="globex.de"), "acc:globex", "website_domain"),
        (Lead(company="Acme, Inc."), "acc:acme", "company_exact"),
        (Lead(company="Initech Sofware Solutions"), "acc:initech", "company_fuzzy"),
        (Lead(email="ann@gmail.com"), None, None),
        (Lead(email="x@hooli.com", company="Hooli"), None, None),
        (Lead(company="Umbrella Health"), None, None),
    ],
    ids=[
        "email-domain",
        "subdomain",
        "website",
        "suffix",
        "typo",
        "free-mail",
        "deleted",
        "unknown",
    ],
)
def test_match_lead(
    accounts: AccountIndex, lead: Lead, key: str | None, reason: str | None
) -> None:
    match = accounts.match_lead(lead)
    if key is None:
        assert match is None
    else:
        assert match is not None
        assert (match.key, match.reason) == (key, reason)


def test_remove_forgets_account(accounts: AccountIndex) -> None:
    assert accounts.remove("acc:acme")
    assert accounts.match_lead(Lead(email="ann@acme.com")) is None
    assert len(accounts) == 2


def test_domain_shared_by_two_accounts_prefers_same_name() -> None:
    idx = AccountIndex()
    idx.add("a1", Account(name="Acme Labs", domain="acme.com"))
    idx.add("a2", Account(name="Acme Corporation", domain="acme.com"))
    match = idx.match_lead(Lead(email="x@acme.com", company="ACME Corp"))
    assert match is not None
    assert match.key == "a2"
