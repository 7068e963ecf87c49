"""Field definitions of the emulated sObjects (Lead, Contact, Account, User) and describe output."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from leadsync.sandbox.salesforce.ids import KEY_PREFIXES

INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Finance", "Healthcare", "Hospitality", "Insurance", "Machinery",
    "Manufacturing", "Media", "Retail", "Technology", "Telecommunications", "Transportation",
)  # fmt: skip
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
LEAD_STATUSES = (
    "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted",
)  # fmt: skip
RATINGS = ("Hot", "Warm", "Cold")


@dataclass(frozen=True)
class FieldDef:
    """One sObject field as describe reports it."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    required: bool = False
    createable: bool = True
    updateable: bool = True
    default: Any = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    external_id: bool = False
    unique: bool = False
    reference_to: tuple[str, ...] = ()

    @property
    def nillable(self) -> bool:
        """Whether the field may be null (required and boolean fields may not)."""
        return not self.required and self.type != "boolean"

    def describe(self) -> dict[str, Any]:
        """The field's entry in a describe answer."""
        return {
            "name": self.name,
            "label": self.label or self.name.replace("__c", "").replace("_", " "),
            "type": self.type,
            "length": self.length,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.default is not None or not self.createable,
            "defaultValue": self.default if self.type == "boolean" else None,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": v == self.default}
                for v in self.picklist
            ],
            "restrictedPicklist": self.restricted,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.name == "Id" or self.external_id,
            "referenceTo": list(self.reference_to),
            "custom": self.name.endswith("__c"),
            "filterable": True,
            "sortable": self.type not in ("textarea",),
        }


def _sys(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name, type_, createable=False, updateable=False, **kw)


def _system_fields() -> list[FieldDef]:
    return [
        _sys("Id", "id", length=18),
        _sys("IsDeleted", "boolean"),
        _sys("CreatedDate", "datetime"),
        _sys("CreatedById", "reference", length=18, reference_to=("User",)),
        _sys("LastModifiedDate", "datetime"),
        _sys("LastModifiedById", "reference", length=18, reference_to=("User",)),
        _sys("SystemModstamp", "datetime"),
    ]


def _owner() -> FieldDef:
    return FieldDef("OwnerId", "reference", length=18, reference_to=("User",), default="")


def _external_id() -> FieldDef:
    return FieldDef("Leadsync_Id__c", "string", "Leadsync Id", 80, external_id=True, unique=True)


def _address(prefix: str) -> list[FieldDef]:
    return [
        FieldDef(f"{prefix}Street", "textarea", length=255),
        FieldDef(f"{prefix}City", "string", length=40),
        FieldDef(f"{prefix}State", "string", length=80),
        FieldDef(f"{prefix}PostalCode", "string", length=20),
        FieldDef(f"{prefix}Country", "string", length=80),
    ]


def _lead() -> list[FieldDef]:
    return [
        FieldDef("FirstName", "string", length=40),
        FieldDef("LastName", "string", length=80, required=True),
        FieldDef("Name", "string", length=121, createable=False, updateable=False),
        FieldDef("Company", "string", length=255, required=True),
        FieldDef("Email", "email", length=80),
        FieldDef("Phone", "phone", length=40),
        FieldDef("Title", "string", length=128),
        *_address(""),
        FieldDef("Industry", "picklist", length=255, picklist=INDUSTRIES),
        FieldDef("NumberOfEmployees", "int"),
        FieldDef("AnnualRevenue", "currency"),
        FieldDef("LeadSource", "picklist", length=255, picklist=LEAD_SOURCES),
        FieldDef(
            "Status",
            "picklist",
            length=255,
            required=True,
            picklist=LEAD_STATUSES,
            restricted=True,
            default="Open - Not Contacted",
        ),  # fmt: skip
        FieldDef("Rating", "picklist", length=255, picklist=RATINGS),
        FieldDef("Website", "url", length=255),
        FieldDef("Description", "textarea", length=32000),
        _owner(),
        _external_id(),
    ]


def _contact() -> list[FieldDef]:
    return [
        FieldDef("FirstName", "string", length=40),
        FieldDef("LastName", "string", length=80, required=True),
        FieldDef("Name", "string", length=121, createable=False, updateable=False),
        FieldDef("AccountId", "reference", length=18, reference_to=("Account",)),
        FieldDef("Email", "email", length=80),
        FieldDef("Phone", "phone", length=40),
        FieldDef("Title", "string", length=128),
        *_address("Mailing"),
        FieldDef("LeadSource", "picklist", length=255, picklist=LEAD_SOURCES),
        FieldDef("Description", "textarea", length=32000),
        _owner(),
        _external_id(),
    ]


def _account() -> list[FieldDef]:
    return [
        FieldDef("Name", "string", length=255, required=True),
        FieldDef("Website", "url", length=255),
        FieldDef("Industry", "picklist", length=255, picklist=INDUSTRIES),
        FieldDef("NumberOfEmployees", "int"),
        FieldDef("AnnualRevenue", "currency"),
        FieldDef("BillingCountry", "string", length=80),
        _owner(),
    ]


def _user() -> list[FieldDef]:
    return [
        FieldDef("Username", "string", length=80, required=True, unique=True),
        FieldDef("Email", "email", length=128, required=True),
        FieldDef("FirstName", "string", length=40),
        FieldDef("LastName", "string", length=80, required=True),
        FieldDef("Name", "string", length=121, createable=False, updateable=False),
        FieldDef("IsActive", "boolean", default=True),
    ]


@dataclass(frozen=True, eq=False)
class ObjectDef:
    """One sObject type: name, key prefix and fields by name."""

    name: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    @functools.cached_property
    def template(self) -> dict[str, Any]:
        """A new record's values before the caller's: every field at its default."""
        return {f.name: f.default for f in self.fields.values()}

    @functools.cached_property
    def required(self) -> tuple[str, ...]:
        """Names of required fields."""
        return tuple(f.name for f in self.fields.values() if f.required)

    def field_ci(self, name: str) -> FieldDef | None:
        """Look up a field case-insensitively (SOQL and JSON keys are case-insensitive)."""
        found = self.fields.get(name)
        if found is not None:
            return found
        return _LOWER[self.name].get(name.lower())

    def describe(self, base: str) -> dict[str, Any]:
        """The describe answer; ``base`` is ``/services/data/vXX.X``."""
        url = f"{base}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.name,
            "keyPrefix": self.key_prefix,
            "createable": True,
            "updateable": True,
            "deletable": self.name != "User",
            "queryable": True,
            "custom": False,
            "fields": [f.describe() for f in self.fields.values()],
            "urls": {"sobject": url, "describe": f"{url}/describe", "rowTemplate": f"{url}/{{ID}}"},
        }


def _build() -> dict[str, ObjectDef]:
    makers = {"Lead": _lead, "Contact": _contact, "Account": _account, "User": _user}
    out = {}
    for name, make in makers.items():
        fields = {f.name: f for f in [*_system_fields(), *make()]}
        out[name] = ObjectDef(name, KEY_PREFIXES[name], fields)
    return out


OBJECTS: dict[str, ObjectDef] = _build()
_LOWER: dict[str, dict[str, FieldDef]] = {
    o.name: {k.lower(): v for k, v in o.fields.items()} for o in OBJECTS.values()
}
_OBJECT_LOWER = {k.lower(): v for k, v in OBJECTS.items()}


def object_def(name: str) -> ObjectDef | None:
    """The definition of sObject ``name`` (case-insensitive), or None."""
    return _OBJECT_LOWER.get(name.lower())
