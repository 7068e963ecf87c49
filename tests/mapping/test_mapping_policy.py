"""Per-field error policy: drop the field, skip the record or dead-letter it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.errors import FieldValueError
from leadsync.mapping import Mapping, load_mapping
from leadsync.mapping.model import Provenance, Stage

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
POLICY_YAML = """\
object: Lead
on_error: drop_field
fields:
  email: {source: Email, transforms: [email], on_error: dead_letter}
  phone: {source: Phone, transforms: [phone]}
  country: {source: Country, transforms: [country], on_error: skip_record}
  employee_count: {source: Employees}
  last_name: {source: LastName, transforms: [strip, person_name], required: true}
  stage: {source: Status, value_map: {Open: new, Working: mql}}
  company: {source: Company, transforms: [company], default: "[not provided]"}
  custom.budget_band: {source: Budget_Band__c}
  first_touch.source: {source: LeadSource, on_error: drop_field}
  website_domain: {computed: domain_from_website, args: [Website], write: Website}
  latest_touch.source: {const: Web form}
"""
GOOD: dict[str, Any] = {
    "Email": "Ann@Example.com",
    "Phone": "+44 20 7946 0958",
    "Country": "Holland",
    "Employees": "1,200",
    "LastName": "VAN DER BERG",
    "Status": "working",
    "Company": "",
    "Budget_Band__c": "50k-100k",
    "LeadSource": "Trade show",
    "Website": "https://www.acme.nl/",
}


@pytest.fixture(scope="module")
def mapping(tmp_path_factory: pytest.TempPathFactory) -> Mapping:
    path = tmp_path_factory.mktemp("maps") / "Lead.yaml"
    path.write_text(POLICY_YAML, encoding="utf-8")
    return load_mapping(path)


def _map(mapping: Mapping, **changes: Any) -> Any:
    return mapping.to_canonical({**GOOD, **changes}, record="00Q42", system="crm", observed_at=WHEN)


def test_clean_record_maps_every_field_with_provenance(mapping: Mapping) -> None:
    result = _map(mapping)
    assert (result.action, result.errors) == ("ok", [])
    lead = result.lead
    assert lead is not None
    assert (lead.email, lead.phone, lead.country) == ("Ann@example.com", "+442079460958", "NL")
    assert (lead.employee_count, lead.last_name, lead.stage) == (1200, "van der Berg", Stage.MQL)
    assert lead.company == "[not provided]"  # default for an empty source
    assert lead.custom == {"budget_band": "50k-100k"}
    assert lead.first_touch is not None
    assert lead.first_touch.source == "Trade show"
    assert lead.latest_touch is not None
    assert lead.latest_touch.source == "Web form"
    assert lead.website_domain == "acme.nl"
    assert set(lead.provenance) == {
        "email",
        "phone",
        "country",
        "employee_count",
        "last_name",
        "stage",
        "company",
        "custom.budget_band",
        "first_touch.source",
        "website_domain",
        "latest_touch.source",
    }
    assert lead.provenance["email"] == Provenance(system="crm", observed_at=WHEN)


@pytest.mark.parametrize(
    ("changes", "action", "field", "expected"),
    [
        ({"Phone": "12"}, "drop_fields", "Phone", "a phone number"),
        ({"Status": "Closed"}, "drop_fields", "Status", "one of 'Open', 'Working'"),
        ({"Employees": "lots"}, "drop_fields", "Employees", "a whole number"),
        ({"Employees": -3}, "drop_fields", "Employees", "greater than or equal to 0"),
        ({"Website": "http://1.2.3.4"}, "drop_fields", "Website", "a website or domain"),
        ({"Country": "Atlantis"}, "skip", "Country", "a country name or ISO code"),
        ({"Email": "ann@"}, "dead_letter", "Email", "an email address"),
        ({"LastName": "  "}, "skip", "LastName", "a value (required)"),
    ],
    ids=[
        "phone-drop",
        "picklist-drop",
        "int-drop",
        "range-drop",
        "computed-drop",
        "skip",
        "dead-letter",
        "required-missing",
    ],
)
def test_bad_value_follows_field_policy(
    mapping: Mapping, changes: dict[str, Any], action: str, field: str, expected: str
) -> None:
    result = _map(mapping, **changes)
    assert result.action == action
    assert len(result.errors) == 1
    error = result.errors[0]
    assert isinstance(error, FieldValueError)
    assert (error.record, error.field) == ("00Q42", field)
    assert expected in error.expected
    assert error.value == next(iter(changes.values())) or changes[field].strip() == ""
    assert "record 00Q42" in str(error)
    assert repr(field) in str(error)
    if action == "drop_fields":
        assert result.lead is not None
        assert result.lead.email == "Ann@example.com"  # the rest survives
    else:
        assert result.lead is None


def test_strictest_policy_wins(mapping: Mapping) -> None:
    result = _map(mapping, Phone="12", Country="Atlantis", Email="nope")
    assert result.action == "dead_letter"
    assert result.lead is None
    assert [e.field for e in result.errors] == ["Email", "Phone", "Country"]


def test_long_values_are_shortened_in_errors(mapping: Mapping) -> None:
    result = _map(mapping, Email="x" * 500)
    assert len(str(result.errors[0].value)) <= 80


@settings(max_examples=120, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(list(GOOD)) | st.text(max_size=5),
        st.none()
        | st.text()
        | st.integers()
        | st.floats()
        | st.booleans()
        | st.lists(st.text(), max_size=2),
    )
)
def test_any_input_maps_without_raising(mapping: Mapping, fields: dict[str, Any]) -> None:
    result = mapping.to_canonical(fields, record="r", system="crm", observed_at=WHEN)
    assert (result.lead is None) == (result.action in ("skip", "dead_letter"))
    assert (result.action == "ok") == (result.errors == [])


def test_to_target_writes_plain_and_inverted_fields(mapping: Mapping) -> None:
    lead = _map(mapping).lead
    assert lead is not None
    assert mapping.to_target(lead) == {
        "Email": "Ann@example.com",
        "Phone": "+442079460958",
        "Country": "NL",
        "Employees": 1200,
        "LastName": "van der Berg",
        "Status": "Working",
        "Company": "[not provided]",
        "Budget_Band__c": "50k-100k",
        "LeadSource": "Trade show",
        "Website": "acme.nl",
    }
    cleared = mapping.to_target(lead.model_copy(update={"phone": None}), include_none=True)
    assert cleared["Phone"] is None


def test_folded_source_keys_match_csv_headers(tmp_path: Path) -> None:
    path = tmp_path / "default.yaml"
    path.write_text(
        "object: default\nsource_keys: folded\nfields:\n"
        '  first_name: {source: "First Name", transforms: [person_name]}\n',
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    for header in ("First Name", "first_name", "FIRSTNAME", " first-name "):
        lead = mapping.to_canonical(
            {header: "ann"}, record="1", system="csv", observed_at=WHEN
        ).lead
        assert lead is not None, header
        assert lead.first_name == "Ann", header
