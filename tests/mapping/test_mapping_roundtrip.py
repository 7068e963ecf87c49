"""Round trips: canonical → target → canonical is lossless for every field a mapping writes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync.mapping import Mapping
from leadsync.mapping.model import Lead

OBSERVED_SYSTEM = "crm"
OBSERVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_free_text = st.text(max_size=25) | st.sampled_from(["", "  ", "Sales\tManager ", "Zürich  HQ"])
_emails = st.emails() | st.sampled_from(["Ann@Example.COM", "jörg@MÜNCHEN.de", "bad@", "x@y"])
_phones = st.sampled_from(
    ["(415) 555-0123", "+44 20 7946 0958", "0044 20 7946 0958", "+81 3-1234-5678", "12", ""]
) | st.from_regex(r"\+?[0-9 ()-]{7,14}", fullmatch=True)
_names = (
    st.sampled_from(["john", "MCDONALD", "van der berg", "O'Neil", "[not provided]", ""])
    | _free_text
)
_countries = st.sampled_from(["USA", "Deutschland", "U.K.", "Canada", "Atlantis", "de", ""])
_states = st.sampled_from(["California", "NY", "Bayern", "Ontario", "Nowhere", ""])
_sites = (
    st.sampled_from(["https://www.acme.co.uk/x", "example.com", "http://1.2.3.4", ""]) | _free_text
)
_numbers = (
    st.integers(-5, 10**7)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.sampled_from(["1,200", "n/a"])
)
_SF_STATUS = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
    "bogus",
]
_HS_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
    "nope",
]

# Raw-value strategy per canonical field; computed fields draw their arguments below.
_BY_PATH: dict[str, st.SearchStrategy[Any]] = {
    "email": _emails,
    "phone": _phones,
    "first_name": _names,
    "last_name": _names,
    "company": _names | st.sampled_from(["Acme, Inc.", "N/A"]),
    "country": _countries,
    "employee_count": _numbers,
    "annual_revenue": _numbers,
    "updated_at": st.sampled_from(["2024-01-15T10:30:00.000+0000", "junk"]),
}


def _record(mapping: Mapping, stages: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for path, spec in mapping.spec.fields.items():
        if spec.computed == "region":
            parts[spec.args[0]], parts[spec.args[1]] = _states, _countries
        elif spec.computed is not None:
            parts[spec.args[0]] = _sites
        elif path == "stage":
            parts[spec.sources[0]] = st.sampled_from(stages)
        elif spec.source is not None:
            parts.setdefault(spec.sources[0], _BY_PATH.get(path, _free_text))
    return st.fixed_dictionaries(parts)


def _written(mapping: Mapping, lead: Lead) -> dict[str, Any]:
    out = {}
    for step in mapping.writes:
        value = step.get(lead)
        out[step.path] = Decimal(value) if isinstance(value, Decimal) else value
        out["provenance:" + step.path] = lead.provenance.get(step.path)
    assert out, "the mapping writes nothing"
    return out


def _canonical(mapping: Mapping, fields: dict[str, Any]) -> Lead | None:
    return mapping.to_canonical(
        fields, record="rt", system=OBSERVED_SYSTEM, observed_at=OBSERVED
    ).lead


def _assert_lossless(mapping: Mapping, lead: Lead) -> None:
    target = mapping.to_target(lead)
    back = mapping.to_canonical(target, record="rt", system=OBSERVED_SYSTEM, observed_at=OBSERVED)
    assert back.errors == [], target
    assert back.lead is not None
    assert _written(mapping, back.lead) == _written(mapping, lead)


_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(data=st.data())
def test_salesforce_lead_round_trip(sf_lead: Mapping, data: st.DataObject) -> None:
    lead = _canonical(sf_lead, data.draw(_record(sf_lead, _SF_STATUS)))
    if lead is not None:
        _assert_lossless(sf_lead, lead)


@_SETTINGS
@given(data=st.data())
def test_hubspot_contacts_round_trip(hs_contacts: Mapping, data: st.DataObject) -> None:
    lead = _canonical(hs_contacts, data.draw(_record(hs_contacts, _HS_STAGES)))
    if lead is not None:
        _assert_lossless(hs_contacts, lead)


@_SETTINGS
@given(data=st.data())
def test_salesforce_lead_through_hubspot(
    sf_lead: Mapping, hs_contacts: Mapping, data: st.DataObject
) -> None:
    """A lead read from Salesforce survives a HubSpot round trip on HubSpot's fields."""
    lead = _canonical(sf_lead, data.draw(_record(sf_lead, _SF_STATUS)))
    if lead is not None and lead.stage != "disqualified":  # HubSpot's lifecycle has no such stage
        _assert_lossless(hs_contacts, lead)


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        ("new", "Open - Not Contacted"),
        ("sql", "Working - Contacted"),
        ("customer", "Closed - Converted"),
    ],
    ids=["new", "sql-nearest", "customer-nearest"],
)
def test_stage_written_to_restricted_status(sf_lead: Mapping, stage: str, status: str) -> None:
    assert sf_lead.to_target(Lead(stage=stage))["Status"] == status


def test_required_fields_get_placeholders_that_read_back_empty(sf_lead: Mapping) -> None:
    target = sf_lead.to_target(Lead(email="a@b.co"))
    assert target == {"Email": "a@b.co", "LastName": "[not provided]", "Company": "[not provided]"}
    lead = _canonical(sf_lead, target)
    assert lead is not None
    assert lead.last_name is None
    assert lead.company is None
