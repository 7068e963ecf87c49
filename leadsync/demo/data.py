"""The demo's messy inputs: a trade-show CSV and a burst of web-form submissions."""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from faker import Faker

CSV_HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Phone",
    "Country",
    "Job Title",
    "Website",
]
_COUNTRY_SPELLINGS = {
    "United States": ["USA", "U.S.A.", "united states", "US"],
    "United Kingdom": ["UK", "U.K.", "Great Britain", "england"],
    "Germany": ["Deutschland", "DE", "germany"],
}


def _messy_phone(rng: random.Random, phone: str | None) -> str:
    digits = "".join(c for c in (phone or "") if c.isdigit())[-10:] or "4155550100"
    styles = [
        f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
        f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
    ]
    return rng.choice(styles)


def _messy_country(rng: random.Random, country: str | None) -> str:
    return rng.choice(_COUNTRY_SPELLINGS.get(country or "", [country or "USA"]))


def write_trade_show_csv(
    path: Path, *, seed: int, known_people: Sequence[Mapping[str, Any]], new_people: int
) -> dict[str, int]:
    """Write the CSV: duplicates of known people in messy spellings, new people, bad rows.

    Returns:
        How many rows of each kind were written.
    """
    rng, fake = random.Random(seed), Faker(["en_US", "en_GB", "de_DE"])
    fake.seed_instance(seed)
    rows: list[list[str]] = []
    for person in known_people:
        email = str(person["email"])
        shouted = email.upper() if rng.random() < 0.5 else email.replace("@", "+expo@", 1)
        rows.append(
            [
                f"  {str(person['first_name']).upper()} ",
                str(person["last_name"]).lower(),
                shouted,
                f"{person.get('company') or 'Unknown'} Inc.",
                _messy_phone(rng, person.get("phone")),
                _messy_country(rng, person.get("country")),
                "",
                "",
            ]
        )
    for _ in range(new_people):
        first, last = fake.first_name(), fake.last_name()
        company = fake.company()
        domain = "".join(c for c in company.lower() if c.isalnum())[:18] + ".com"
        rows.append(
            [
                first,
                last,
                f"{first}.{last}@{domain}".lower(),
                company,
                _messy_phone(rng, fake.phone_number()),
                _messy_country(rng, "United States"),
                fake.job()[:60],
                f"www.{domain}",
            ]
        )
    bad = [
        ["Nemo", "Nobody", "not-an-email", "Acme", "", "USA", "", ""],
        ["", "", "", "", "", "", "", ""],  # a blank line's worth of commas
        ["Zed", "Zero", "zed@@example..com", "", "", "Atlantis", "", ""],
    ]
    rows.extend(bad)
    rng.shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    return {"duplicates": len(known_people), "new": new_people, "bad": len(bad)}


def form_submissions(
    *, seed: int, known_people: Sequence[Mapping[str, Any]], new_people: int
) -> list[dict[str, Any]]:
    """Web-form payloads (generic JSON forms): some people already known, most new."""
    fake = Faker("en_US")
    fake.seed_instance(seed + 1)
    payloads = []
    for index, person in enumerate(known_people):
        payloads.append(
            {
                "submission_id": f"known-{index}",
                "fields": {
                    "email": str(person["email"]).upper(),
                    "firstname": person["first_name"],
                    "lastname": person["last_name"],
                    "company": person.get("company"),
                    "utm_source": "webinar",
                    "utm_campaign": "q4-launch",
                },
            }
        )
    for index in range(new_people):
        first, last = fake.first_name(), fake.last_name()
        payloads.append(
            {
                "submission_id": f"new-{index}",
                "fields": {
                    "email": f"{first}.{last}@{fake.domain_name()}".lower(),
                    "firstname": first,
                    "lastname": last,
                    "company": fake.company(),
                    "phone": fake.phone_number(),
                    "country": "US",
                    "utm_source": "google",
                    "utm_medium": "cpc",
                    "utm_campaign": "brand",
                },
            }
        )
    return payloads
