"""The CSV and form default mappings on typical input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadsync.mapping import load_mapping
from leadsync.mapping.defaults import default_mapping_path
from leadsync.mapping.model import Lead

WHEN = datetime(2026, 5, 6, tzinfo=UTC)
ROW = {
    "First Name": "JANE",
    "Last Name": "o'neil",
    "Email": "Jane.ONeil@Gmail.com",
    "Company": "Acme GmbH",
    "Phone": "+49 (0)30 1234567",
    "Country": "Deutschland",
    "Job Title": " Head of IT ",
    "Website": "",
}


def _csv(row: dict[str, str]) -> Lead:
    mapping = load_mapping(default_mapping_path("leadsync.connectors.csv", "default"))
    result = mapping.to_canonical(row, record="line 2", system="csv", observed_at=WHEN)
    assert result.errors == []
    assert result.lead is not None
    return result.lead


@pytest.mark.parametrize(
    "row",
    [ROW, {k.lower().replace(" ", "_"): v for k, v in ROW.items()}],
    ids=["headers-as-printed", "headers-snake-case"],
)
def test_trade_show_csv_row(row: dict[str, str]) -> None:
    lead = _csv(row)
    assert (lead.first_name, lead.last_name) == ("Jane", "O'Neil")
    assert (lead.email, lead.company, lead.country) == ("Jane.ONeil@gmail.com", "Acme GmbH", "DE")
    assert (lead.phone, lead.title) == ("+49301234567", "Head of IT")
    assert lead.website_domain is None  # gmail says nothing about the employer
    assert lead.first_touch is not None
    assert lead.first_touch.source == "List upload"


def test_csv_company_domain_from_work_email() -> None:
    assert _csv({**ROW, "Email": "jane@mail.acme.de"}).website_domain == "acme.de"


def test_form_post_with_utm_fields() -> None:
    mapping = load_mapping(default_mapping_path("leadsync.connectors.forms", "default"))
    post = {
        "email": "ann@acme.io",
        "firstName": "ann",
        "last_name": "lee",
        "utm_source": "linkedin",
        "utm_campaign": "q3-launch",
        "submittedAt": "2026-05-06T07:08:09Z",
        "consent": "yes",
        "country": "U.K.",
    }
    result = mapping.to_canonical(post, record="sub-1", system="forms", observed_at=WHEN)
    lead = result.lead
    assert result.errors == []
    assert lead is not None
    assert (lead.first_name, lead.last_name, lead.country) == ("Ann", "Lee", "GB")
    touch = lead.latest_touch
    assert touch is not None
    assert (touch.utm_source, touch.utm_campaign, touch.source) == (
        "linkedin",
        "q3-launch",
        "Web form",
    )
    assert touch.at == datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert lead.custom == {"consent": True}
    assert lead.website_domain == "acme.io"
