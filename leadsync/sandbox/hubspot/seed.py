"""Deterministic, realistic seed data for the HubSpot sandbox (owners, companies, contacts).

Names come from Faker pools drawn once per seed, then ``random.Random(seed)`` picks from them,
so 100k contacts seed in seconds and the same seed always gives the same portal. Timestamps
are spread over the year before a fixed anchor, one distinct millisecond per record, so seeded
data is reproducible and incremental reads have a clean order. Deliberate duplicates are
recorded in the result as ground truth for matching tests.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from leadsync.sandbox.hubspot.models import Owner
from leadsync.sandbox.hubspot.sandbox import HubSpotSandbox

ANCHOR_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_YEAR_MS = 365 * 24 * 3600 * 1000
_ALIASES = {
    "email": ("email", "Email"),
    "firstname": ("firstname", "first_name", "FirstName"),
    "lastname": ("lastname", "last_name", "LastName"),
    "company": ("company", "Company", "company_name"),
    "phone": ("phone", "Phone"),
    "jobtitle": ("jobtitle", "title", "Title"),
}
_NICKNAMES = {
    "robert": "Bob",
    "william": "Bill",
    "elizabeth": "Liz",
    "michael": "Mike",
    "james": "Jim",
    "jennifer": "Jen",
    "christopher": "Chris",
    "katherine": "Kate",
}
_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
)


@dataclass
class SeedResult:
    """Ids of what was seeded, and the deliberate duplicates.

    Attributes:
        owners: Owner ids.
        companies: Company ids.
        contacts: Contact ids (duplicates included).
        duplicate_contacts: ``(duplicate_id, original_id)`` pairs inside the portal.
        duplicate_companies: ``(duplicate_id, original_id)`` pairs (same domain, other name).
        cross_duplicates: ``(index into duplicates_of, contact_id)`` pairs.
    """

    owners: list[int] = field(default_factory=list)
    companies: list[int] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    duplicate_contacts: list[tuple[int, int]] = field(default_factory=list)
    duplicate_companies: list[tuple[int, int]] = field(default_factory=list)
    cross_duplicates: list[tuple[int, int]] = field(default_factory=list)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", plain.lower())


class _Seeder:
    def __init__(self, sandbox: HubSpotSandbox, seed: int, total: int) -> None:
        self.state = sandbox.state
        self.rng = random.Random(seed)
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.first = [fake.first_name() for _ in range(400)]
        self.last = [fake.last_name() for _ in range(600)]
        self.cities = [(fake.city(), fake.state_abbr()) for _ in range(80)]
        self.company_names = [fake.company() for _ in range(min(600, max(50, total // 5)))]
        self.jobs = [fake.job()[:60] for _ in range(120)]
        # Room for the ~5% company duplicates on top of ``total``, so seeding ends before ANCHOR_MS.
        self.step = max(1, _YEAR_MS // (total + total // 10 + 1))
        self.at = ANCHOR_MS - _YEAR_MS
        self.result = SeedResult()

    def tick(self) -> int:
        self.at += self.step
        return self.at

    def phone(self) -> str:
        r = self.rng
        return f"+1 {r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(1000, 9999)}"

    def owners(self, n: int) -> None:
        for i in range(n):
            first, last = self.rng.choice(self.first), self.rng.choice(self.last)
            owner_id = 70_000_001 + i
            at = self.tick()
            email = f"{_ascii(first)}.{_ascii(last)}@leadsync-demo.example"
            self.state.owners[owner_id] = Owner(owner_id, email, first, last, 9_000 + i, at, at)
            self.result.owners.append(owner_id)

    def company(self) -> tuple[int, str, str]:
        store, r = self.state.stores["companies"], self.rng
        name = r.choice(self.company_names)
        domain = f"{_ascii(name)[:24] or 'company'}{r.randint(1, 999)}.com"
        city, region = r.choice(self.cities)
        values = {
            "name": name,
            "domain": domain,
            "city": city,
            "state": region,
            "country": "United States",
            "phone": self.phone(),
            "website": f"https://www.{domain}",
            "industry": r.choice(store.spec.catalog["industry"].options),
            "numberofemployees": str(r.choice((5, 12, 40, 150, 800, 5000))),
            "annualrevenue": str(r.randrange(100_000, 50_000_000, 1000)),
            "lifecyclestage": r.choice(_STAGES),
            "hubspot_owner_id": self._owner(),
        }
        obj = store.create(self.state.clean("companies", _drop_none(values)), at_ms=self.tick())
        self.result.companies.append(obj.id)
        if r.random() < 0.05:
            twin = dict(values, name=f"{name} Inc.", phone=None, website=None)
            dup = store.create(self.state.clean("companies", _drop_none(twin)), at_ms=self.tick())
            self.result.duplicate_companies.append((dup.id, obj.id))
        return obj.id, name, domain

    def _owner(self) -> str | None:
        return str(self.rng.choice(self.result.owners)) if self.result.owners else None

    def contact(self, values: Mapping[str, Any], company_id: int | None) -> int:
        store = self.state.stores["contacts"]
        base = dict(values)
        email = str(base.get("email") or "")
        while email and store.find_unique(email) is not None:
            local, _, host = email.partition("@")
            email = f"{local}{self.rng.randint(2, 99)}@{host}"
        base["email"] = email or None
        obj = store.create(self.state.clean("contacts", _drop_none(base)), at_ms=self.tick())
        if company_id is not None:
            for type_id in (1, 279):
                self.state.associate("contacts", str(obj.id), "companies", str(company_id), type_id)
        self.result.contacts.append(obj.id)
        return obj.id

    def person(self, company: tuple[int, str, str]) -> dict[str, Any]:
        r = self.rng
        first, last = r.choice(self.first), r.choice(self.last)
        city, region = r.choice(self.cities)
        return {
            "firstname": first,
            "lastname": last,
            "company": company[1],
            "email": f"{_ascii(first)}.{_ascii(last)}@{company[2]}",
            "phone": self.phone(),
            "jobtitle": r.choice(self.jobs),
            "city": city,
            "state": region,
            "country": "United States",
            "lifecyclestage": r.choice(_STAGES),
            "hs_lead_status": r.choice(("NEW", "OPEN", "IN_PROGRESS", "CONNECTED", None)),
            "hubspot_owner_id": self._owner(),
        }

    def twin(self, original: Mapping[str, Any]) -> dict[str, Any]:
        """A plausible second record of the same person (other email, name variant)."""
        first = str(original.get("firstname") or "")
        last = str(original.get("lastname") or "")
        variant = _NICKNAMES.get(first.lower(), first.upper() if self.rng.random() < 0.3 else first)
        email = f"{_ascii(first)[:1]}{_ascii(last)}{self.rng.randint(1, 99)}@gmail.com"
        phone = re.sub(r"\D", "", str(original.get("phone") or "")) or None
        return dict(original, firstname=variant, email=email, phone=phone, jobtitle=None)


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _canonical(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, keys in _ALIASES.items():
        for key in keys:
            if record.get(key):
                out[name] = record[key]
                break
    return out


def seed_hubspot(
    sandbox: HubSpotSandbox,
    *,
    seed: int = 0,
    contacts: int = 200,
    companies: int = 40,
    owners: int = 5,
    duplicate_rate: float = 0.05,
    duplicates_of: Sequence[Mapping[str, Any]] | None = None,
) -> SeedResult:
    """Fill the sandbox portal with realistic data, deterministic by ``seed``.

    Args:
        sandbox: The sandbox to fill (existing records stay).
        seed: Random seed; the same seed gives the same portal.
        contacts: Contacts to create (deliberate duplicates included in this number).
        companies: Companies to create (plus ~5% same-domain duplicates).
        owners: Owners to create.
        duplicate_rate: Share of contacts that are a second record of an earlier contact.
        duplicates_of: Records from another system (keys like ``email``/``Email``,
            ``first_name``/``FirstName``...) to plant as HubSpot contacts with the same email
            and a name variant: the cross-system duplicates a sync must match, not create.

    Returns:
        The ids created and the ground truth of planted duplicates.
    """
    seeder = _Seeder(sandbox, seed, owners + companies + contacts + len(duplicates_of or ()))
    with sandbox.state.lock:
        seeder.owners(owners)
        made = [seeder.company() for _ in range(companies)]
        people: list[tuple[int, dict[str, Any], int | None]] = []
        for _ in range(contacts):
            company = seeder.rng.choice(made) if made else None
            if people and seeder.rng.random() < duplicate_rate:
                original_id, original, company_id = seeder.rng.choice(people)
                dup_id = seeder.contact(seeder.twin(original), company_id)
                seeder.result.duplicate_contacts.append((dup_id, original_id))
                continue
            values = seeder.person(company) if company else seeder.person((0, "", "example.com"))
            company_id = company[0] if company else None
            people.append((seeder.contact(values, company_id), values, company_id))
        for index, record in enumerate(duplicates_of or ()):
            values = _canonical(record)
            if values.get("firstname") and seeder.rng.random() < 0.5:
                values["firstname"] = str(values["firstname"]).upper()
            seeder.result.cross_duplicates.append((index, seeder.contact(values, None)))
    return seeder.result
