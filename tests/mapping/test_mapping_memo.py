"""The per-record shortcuts of Mapping give what computing everything afresh gives.

Field values are remembered per mapping, provenance and touches are shared between records
and provenance is attached after validation; none of it may change a result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync.mapping import Mapping
from leadsync.mapping.mapping import MapResult
from leadsync.mapping.model import Lead, Touch

WHEN = datetime(2026, 1, 2, tzinfo=UTC)
# Few distinct values, so that records repeat each other's and memos are hit.
_VALUES: list[Any] = [
    None,
    "",
    "  ",
    "Ann",
    "MCDONALD",
    "ann@Example.COM",
    "bad@",
    "+14155550123",
    "(415) 555-0123",
    "+4930123456",
    "USA",
    "Bayern",
    "California",
    "Web",
    "https://www.acme.co.uk/x",
    "1.2.3.4",
    "-5",
    "1,200",
    -5,
    12,
    1.0,
    True,
    Decimal("12.50"),
    Decimal("12.5"),
    Decimal("-0"),
    "Open - Not Contacted",
    "Closed - Converted",
    "lead",
    "customer",
    "2024-01-15T10:30:00.000+0000",
    ["a", "b"],
]


def _records(mapping: Mapping) -> st.SearchStrategy[list[dict[str, Any]]]:
    record = st.fixed_dictionaries(
        {}, optional={name: st.sampled_from(_VALUES) for name in mapping.source_fields}
    )
    return st.lists(record, min_size=1, max_size=12)


def _digest(result: MapResult) -> tuple[Any, ...]:
    lead = result.lead
    return (
        result.action,
        [str(e) for e in result.errors],
        None if lead is None else (lead, sorted(lead.model_fields_set), list(vars(lead))),
    )


def _fresh(mapping: Mapping) -> Mapping:
    return Mapping(mapping.spec, mapping._located)  # compiled anew: empty memos


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_against_fresh(mapping: Mapping, records: list[dict[str, Any]]) -> None:
    shared = _fresh(mapping)
    for i, fields in enumerate(records * 2):  # the second time round, from the memos
        seen = shared.to_canonical(fields, record=str(i), system="crm", observed_at=WHEN)
        new = _fresh(mapping).to_canonical(fields, record=str(i), system="crm", observed_at=WHEN)
        assert _digest(seen) == _digest(new)


@_SETTINGS
@given(data=st.data())
def test_salesforce_memos_change_no_result(sf_lead: Mapping, data: st.DataObject) -> None:
    _check_against_fresh(sf_lead, data.draw(_records(sf_lead)))


@_SETTINGS
@given(data=st.data())
def test_hubspot_memos_change_no_result(hs_contacts: Mapping, data: st.DataObject) -> None:
    _check_against_fresh(hs_contacts, data.draw(_records(hs_contacts)))


@_SETTINGS
@given(data=st.data())
def test_lead_is_what_validating_everything_gives(sf_lead: Mapping, data: st.DataObject) -> None:
    for fields in data.draw(_records(sf_lead)):
        lead = sf_lead.to_canonical(fields, record="1", system="crm", observed_at=WHEN).lead
        if lead is None:
            continue
        again = Lead.model_validate(lead.model_dump(exclude_unset=True))
        assert again == lead
        assert again.model_fields_set == lead.model_fields_set
        assert list(vars(again)) == list(vars(lead))


def test_equal_numbers_of_other_types_are_not_confused(sf_lead: Mapping) -> None:
    """Decimal 12.50 equals 12.5, but is written back as it came: no memo may mix them."""
    mapping = _fresh(sf_lead)
    revenue = []
    for value in (Decimal("12.50"), Decimal("12.5"), "12.50", 12.5, 12):
        fields = {"AnnualRevenue": value}
        lead = mapping.to_canonical(fields, record="1", system="crm", observed_at=WHEN).lead
        assert lead is not None
        revenue.append(str(lead.annual_revenue))
    assert revenue == ["12.50", "12.5", "12.50", "12.5", "12"]


def test_provenance_follows_each_call(sf_lead: Mapping) -> None:
    mapping = _fresh(sf_lead)
    fields = {"Email": "ann@example.com"}

    def lead(system: str, observed_at: datetime) -> Lead:
        result = mapping.to_canonical(fields, record="1", system=system, observed_at=observed_at)
        assert result.lead is not None
        return result.lead

    first, same = lead("crm", WHEN), lead("crm", WHEN)
    later = WHEN + timedelta(seconds=1)
    moved, other = lead("crm", later), lead("erp", later)
    assert first.provenance["email"] == same.provenance["email"]
    assert moved.provenance["email"].observed_at == later
    assert moved.provenance["email"].system == "crm"
    assert other.provenance["email"].system == "erp"
    assert first.provenance is not same.provenance  # each lead owns its dict


def test_touches_are_shared_only_when_equal(sf_lead: Mapping) -> None:
    assert Touch.model_config.get("frozen"), "shared touches must be immutable"

    def touch(source: str) -> Touch | None:
        result = sf_lead.to_canonical(
            {"LeadSource": source}, record="1", system="crm", observed_at=WHEN
        )
        assert result.lead is not None
        return result.lead.first_touch

    assert touch("Web") == touch(" Web ") == Touch(source="Web")
    assert touch("Event") == Touch(source="Event")
    assert touch("Event") != touch("Web")


def test_field_errors_after_a_shared_touch_drop_only_that_field(sf_lead: Mapping) -> None:
    fields = {"LeadSource": "Web", "NumberOfEmployees": -5, "LastName": "Lee"}
    for _ in range(2):
        result = sf_lead.to_canonical(fields, record="1", system="crm", observed_at=WHEN)
        assert result.action == "drop_fields"
        assert [e.field for e in result.errors] == ["NumberOfEmployees"]
        assert result.lead is not None
        assert result.lead.first_touch == Touch(source="Web")
        assert result.lead.employee_count is None
        assert "employee_count" not in result.lead.provenance
