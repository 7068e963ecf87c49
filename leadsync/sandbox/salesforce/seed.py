"""Deterministic, realistic seed data (users, accounts, contacts, leads) for the SF sandbox."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.schema import INDUSTRIES, LEAD_SOURCES, LEAD_STATUSES, RATINGS

_TLDS = ("com", "io", "net", "co.uk", "de")


@dataclass
class SeedResult:
    """Ids of the seeded records, by object."""

    users: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits only (umlauts folded), for e-mail addresses."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def _company_domain(fake: Faker, name: str) -> str:
    slug = _ascii(name)[:20] or "example"
    return f"{slug}.{_TLDS[len(slug) % len(_TLDS)]}"


def seed_salesforce(
    sandbox: SalesforceSandbox,
    *,
    seed: int = 0,
    leads: int = 200,
    contacts: int = 100,
    accounts: int = 50,
    users: int = 5,
) -> SeedResult:
    """Fill ``sandbox`` with Faker data; the same ``seed`` gives the same field values.

    Args:
        sandbox: The sandbox to fill (existing records are kept).
        seed: Seed of the data generator.
        leads: Number of leads.
        contacts: Number of contacts (attached to random accounts).
        accounts: Number of accounts.
        users: Number of extra active users that own records (the admin owns the rest).

    Returns:
        The ids created.
    """
    fake = Faker(["en_US", "en_GB", "de_DE"])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    out = SeedResult()
    for i in range(users):
        first, last = fake.first_name(), fake.last_name()
        username = f"{_ascii(first)}.{_ascii(last)}.{seed}.{i}@leadsync.example"
        data: dict[str, Any] = {"Username": username, "Email": username}
        data.update(FirstName=first, LastName=last)
        out.users.append(sandbox.create("User", data)["Id"])
    owners = out.users or [sandbox.admin_user_id]
    domains = _seed_accounts(sandbox, fake, rng, owners, accounts, out)
    _seed_contacts(sandbox, fake, rng, owners, contacts, domains, out)
    out.leads = _seed_leads(sandbox, fake, rng, owners, leads)
    return out


def _seed_accounts(
    sandbox: SalesforceSandbox, fake: Faker, rng: random.Random, owners: list[str], n: int,
    out: SeedResult,
) -> list[str]:  # fmt: skip
    domains = []
    for _ in range(n):
        name = fake.company()
        domain = _company_domain(fake, name)
        domains.append(domain)
        data = {
            "Name": name, "Website": f"https://www.{domain}",
            "Industry": rng.choice(INDUSTRIES), "NumberOfEmployees": rng.randint(1, 50000),
            "AnnualRevenue": float(rng.randint(1, 5000) * 10000),
            "BillingCountry": fake.current_country(), "OwnerId": rng.choice(owners),
        }  # fmt: skip
        out.accounts.append(sandbox.create("Account", data)["Id"])
    return domains


def _seed_contacts(
    sandbox: SalesforceSandbox, fake: Faker, rng: random.Random, owners: list[str], n: int,
    domains: list[str], out: SeedResult,
) -> None:  # fmt: skip
    for _ in range(n):
        first, last = fake.first_name(), fake.last_name()
        index = rng.randrange(len(out.accounts)) if out.accounts else None
        domain = domains[index] if index is not None else fake.free_email_domain()
        data = {
            "FirstName": first, "LastName": last,
            "AccountId": out.accounts[index] if index is not None else None,
            "Email": f"{_ascii(first)}.{_ascii(last)}@{domain}",
            "Phone": fake.phone_number()[:40], "Title": fake.job()[:128],
            "MailingCity": fake.city(), "MailingCountry": fake.current_country(),
            "LeadSource": rng.choice(LEAD_SOURCES), "OwnerId": rng.choice(owners),
        }  # fmt: skip
        out.contacts.append(sandbox.create("Contact", data, allow_duplicates=True)["Id"])


class _Pools:
    """Faker values drawn once and recombined, deterministically by seed.

    Faker costs ~1 ms a record; pools make 100k leads take seconds.
    """

    def __init__(self, fake: Faker, size: int) -> None:
        self.first = [fake.first_name() for _ in range(size)]
        self.last = [fake.last_name() for _ in range(size)]
        self.company = [fake.company() for _ in range(size)]
        self.phone = [fake.phone_number()[:40] for _ in range(size)]
        self.title = [fake.job()[:128] for _ in range(size)]
        self.street = [fake.street_address() for _ in range(size)]
        self.city = [fake.city() for _ in range(size)]
        self.postcode = [fake.postcode() for _ in range(size)]
        self.country = [fake.current_country() for _ in range(min(size, 20))]


def _seed_leads(
    sandbox: SalesforceSandbox, fake: Faker, rng: random.Random, owners: list[str], n: int
) -> list[str]:
    pools = _Pools(fake, max(1, min(n, 500)))
    ids = []
    for _ in range(n):
        first, last = rng.choice(pools.first), rng.choice(pools.last)
        company = rng.choice(pools.company)
        domain = _company_domain(fake, company)
        data = {
            "FirstName": first, "LastName": last, "Company": company,
            "Email": f"{_ascii(first)[:1]}{_ascii(last)}{rng.randrange(1000)}@{domain}",
            "Phone": rng.choice(pools.phone), "Title": rng.choice(pools.title),
            "Street": rng.choice(pools.street), "City": rng.choice(pools.city),
            "PostalCode": rng.choice(pools.postcode), "Country": rng.choice(pools.country),
            "Industry": rng.choice(INDUSTRIES), "NumberOfEmployees": rng.randint(1, 10000),
            "LeadSource": rng.choice(LEAD_SOURCES), "Status": rng.choice(LEAD_STATUSES),
            "Rating": rng.choice(RATINGS), "Website": f"https://{domain}",
            "OwnerId": rng.choice(owners),
        }  # fmt: skip
        ids.append(str(sandbox.create("Lead", data, allow_duplicates=True)["Id"]))
    return ids
