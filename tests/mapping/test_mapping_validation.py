"""Mapping files: load errors and schema validation issues point at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connectors.base import FieldInfo, ObjectSchema
from leadsync.errors import MappingError
from leadsync.mapping import Mapping, load_mapping
from leadsync.mapping.defaults import default_mapping_path

STATUS = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
SF_LEAD = ObjectSchema(
    "Lead",
    (
        FieldInfo("Id", "id", createable=False, updateable=False),
        FieldInfo("FirstName", "string", 40),
        FieldInfo("LastName", "string", 80, nillable=False, required=True),
        FieldInfo("Company", "string", 255, nillable=False, required=True),
        FieldInfo("Email", "email"),
        FieldInfo("Phone", "phone"),
        FieldInfo("Title", "string"),
        FieldInfo("Street", "textarea"),
        FieldInfo("City", "string"),
        FieldInfo("State", "string"),
        FieldInfo("PostalCode", "string"),
        FieldInfo("Country", "string"),
        FieldInfo("Industry", "picklist"),
        FieldInfo("NumberOfEmployees", "int"),
        FieldInfo("AnnualRevenue", "currency"),
        FieldInfo("LeadSource", "picklist"),
        FieldInfo("Status", "picklist", picklist=STATUS, restricted_picklist=True, nillable=False),
        FieldInfo("Rating", "picklist"),
        FieldInfo("Website", "url"),
        FieldInfo("OwnerId", "reference"),
        FieldInfo("Leadsync_Id__c", "string", external_id=True),
        FieldInfo("LastModifiedDate", "datetime", createable=False, updateable=False),
    ),
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Lead.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_default_salesforce_lead_mapping_is_valid(sf_lead: Mapping) -> None:
    assert sf_lead.validate(SF_LEAD) == []


BAD_FOR_SCHEMA = """\
object: Lead
fields:
  email: {source: EMail_Address}
  employee_count: {source: LastModifiedDate, write: false}
  stage:
    source: Status
    value_map: {"Open - Not Contacted": new, "Working": mql}
  first_touch.at: {source: LastModifiedDate}
  company: {source: Company}
  annual_revenue: {source: AnnualRevenue}
  title: {source: NumberOfEmployees, write: {target: NumberOfEmployees}}
"""


def test_schema_issues_cite_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD_FOR_SCHEMA)
    issues = load_mapping(path).validate(SF_LEAD)
    assert all(i.file == str(path) for i in issues)
    expected = [
        ("EMail_Address", "unknown field 'EMail_Address' in Lead"),
        ("EMail_Address", "writes unknown field 'EMail_Address'"),
        ("employee_count", "'LastModifiedDate' is datetime, cannot be read as int"),
        ("value_map", "'Working' is not in the restricted picklist of 'Status'"),
        ("first_touch.at", "'LastModifiedDate' is read-only in Lead; add write: false"),
        ("title:", "writes str into 'NumberOfEmployees', which is int"),
        ("fields:", "required field 'LastName' of Lead is not written"),
    ]
    for needle, message in expected:
        line = _line_of(BAD_FOR_SCHEMA, needle)
        assert any(i.line == line and message in i.message for i in issues), (message, issues)
    assert len(issues) == len(expected)
    first = f"{path}:{_line_of(BAD_FOR_SCHEMA, 'EMail_Address')}: fields.email.source: unknown"
    assert any(str(i).startswith(first) for i in issues)


@pytest.mark.parametrize(
    ("body", "needle", "message"),
    [
        ("  email: {source: Email, transforms: [emial]}\n", "emial", "unknown transform 'emial'"),
        ("  nickname: {source: Nick}\n", "nickname", "unknown canonical field 'nickname'"),
        ("  email: {source: Email, colour: red}\n", "colour", "Extra inputs are not permitted"),
        ("  email: {source: Email, computed: domain_from_email}\n", "email:", "exactly one of"),
        ("  email: {source: Email, on_error: explode}\n", "explode", "on_error"),
        ("  region: {computed: region, args: [State]}\n", "region:", "region takes 2 args"),
        ("  employee_count: {source: N, default: many}\n", "employee_count", "not a number"),
        (
            "  stage: {source: S, value_map: {a: new, b: new}}\n",
            "stage:",
            "cannot be inverted: add write.value_map or write: false",
        ),
        ("  email: {source: Email}\n  phone: {source: Email}\n", "phone:", "both write 'Email'"),
        ("  email: {source: Email}\n  email: {source: E2}\n", "E2", "duplicate key 'email'"),
        ("  email: {source: [Email\n", "Email", "invalid YAML"),
    ],
    ids=[
        "unknown-transform",
        "unknown-canonical",
        "unknown-key",
        "two-origins",
        "bad-policy",
        "arity",
        "bad-default",
        "non-invertible-map",
        "duplicate-target",
        "duplicate-key",
        "syntax",
    ],
)
def test_load_errors_cite_file_and_line(
    tmp_path: Path, body: str, needle: str, message: str
) -> None:
    text = "object: Lead\nfields:\n" + body
    path = _write(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    text_lines = str(caught.value)
    assert message in text_lines
    line = _line_of(text, needle)
    assert any(f"{path}:{n}:" in text_lines for n in (line, line + 1)), text_lines


def test_missing_file_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="cannot read mapping"):
        load_mapping(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("module", "obj"),
    [
        ("leadsync.connectors.salesforce", "Lead"),
        ("leadsync.connectors.salesforce", "Contact"),
        ("leadsync.connectors.hubspot", "contacts"),
        ("leadsync.connectors.csv", "default"),
        ("leadsync.connectors.forms", "default"),
    ],
    ids=["sf-lead", "sf-contact", "hs-contacts", "csv", "forms"],
)
def test_default_mappings_load(module: str, obj: str) -> None:
    path = default_mapping_path(module, obj)
    assert path.name == f"{obj}.yaml"
    assert load_mapping(path).writes or obj == "default"


LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
HS_CONTACTS = ObjectSchema(
    "contacts",
    (
        *(
            FieldInfo(n, "string")
            for n in (
                "email",
                "firstname",
                "lastname",
                "company",
                "phone",
                "jobtitle",
                "address",
                "city",
                "state",
                "zip",
                "country",
                "industry",
                "website",
                "leadsync_id",
                "annualrevenue",
            )
        ),
        FieldInfo("numemployees", "enumeration", picklist=("1-5", "5-25", "25-50")),
        FieldInfo("lifecyclestage", "enumeration", picklist=LIFECYCLE, restricted_picklist=True),
        FieldInfo("hs_lead_status", "enumeration", picklist=("NEW", "OPEN", "UNQUALIFIED")),
        FieldInfo("hubspot_owner_id", "enumeration"),
        FieldInfo("hs_analytics_source", "enumeration", createable=False, updateable=False),
        FieldInfo("lastmodifieddate", "datetime", createable=False, updateable=False),
    ),
)


def test_default_hubspot_contacts_mapping_is_valid(hs_contacts: Mapping) -> None:
    assert hs_contacts.validate(HS_CONTACTS) == []
    assert "hubspot_owner_id" not in hs_contacts.source_fields
    assert {"website", "state", "country", "lifecyclestage"} <= set(hs_contacts.source_fields)


def test_without_read_only_drops_those_writes(tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path, BAD_FOR_SCHEMA))
    targets = {w.target for w in mapping.without_read_only(SF_LEAD).writes}
    assert "LastModifiedDate" in {w.target for w in mapping.writes}
    assert "LastModifiedDate" not in targets
    assert "Company" in targets
