"""Checks a mapping against a target's described fields (unknown names, types, picklists)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadsync.connectors.base import FieldInfo, ObjectSchema
from leadsync.mapping.canonical import Kind, canonical_field
from leadsync.mapping.compile import fold_key
from leadsync.mapping.issues import MappingIssue

if TYPE_CHECKING:
    from leadsync.mapping.mapping import Mapping

# Vendor field types grouped by what they hold (Salesforce describe and HubSpot property
# types); types not listed here are not checked.
_FAMILY_NAMES = {
    "text": "string textarea email phone url picklist multipicklist combobox enumeration id "
    "reference encryptedstring text phone_number",
    "number": "int integer long double currency percent number",
    "date": "date datetime date-time time",
    "bool": "boolean bool booleancheckbox",
}
_FAMILY = {name: fam for fam, names in _FAMILY_NAMES.items() for name in names.split()}
# Which families a canonical kind can be read from and written to.
_READ: dict[Kind, frozenset[str]] = {
    "str": frozenset({"text", "number", "date", "bool"}),
    "int": frozenset({"number", "text"}),
    "decimal": frozenset({"number", "text"}),
    "datetime": frozenset({"date", "text", "number"}),
    "bool": frozenset({"bool", "text", "number"}),
    "stage": frozenset({"text"}),
    "any": frozenset({"text", "number", "date", "bool"}),
}
_WRITE: dict[Kind, frozenset[str]] = {
    "str": frozenset({"text"}),
    "int": frozenset({"number", "text"}),
    "decimal": frozenset({"number", "text"}),
    "datetime": frozenset({"date", "text"}),
    "bool": frozenset({"bool", "text"}),
    "stage": frozenset({"text"}),
    "any": frozenset({"text", "number", "date", "bool"}),
}


def _lookup(schema: ObjectSchema, name: str, folded: bool) -> FieldInfo | None:
    if not folded:
        return schema.get(name)
    key = fold_key(name)
    return next((f for f in schema.fields if fold_key(f.name) == key), None)


def _check_reads(mapping: Mapping, schema: ObjectSchema) -> list[MappingIssue]:
    issues = []
    folded = mapping.spec.source_keys == "folded"
    for path, spec in mapping.spec.fields.items():
        kind = canonical_field(path).kind
        key = "args" if spec.computed else "source"
        for name in spec.sources:
            info = _lookup(schema, name, folded)
            where = ("fields", path, key)
            if info is None:
                msg = f"unknown field {name!r} in {schema.object}"
                issues.append(mapping.issue(where, msg))
            elif spec.computed is None and not spec.value_map:
                family = _FAMILY.get(info.type.lower())
                if family is not None and family not in _READ[kind]:
                    msg = f"{name!r} is {info.type}, cannot be read as {kind} for {path!r}"
                    issues.append(mapping.issue(where, msg))
    return issues


def _check_writes(mapping: Mapping, schema: ObjectSchema) -> list[MappingIssue]:
    issues = []
    for step in mapping.writes:
        where = ("fields", step.path)
        info = schema.get(step.target)
        if info is None:
            issues.append(mapping.issue(where, f"writes unknown field {step.target!r}"))
            continue
        if not info.createable and not info.updateable:
            msg = f"{step.target!r} is read-only in {schema.object}; add write: false"
            issues.append(mapping.issue(where, msg))
        kind = canonical_field(step.path).kind
        family = _FAMILY.get(info.type.lower())
        has_map = bool(step.outputs)
        if family is not None and not has_map and family not in _WRITE[kind]:
            msg = f"writes {kind} into {step.target!r}, which is {info.type}"
            issues.append(mapping.issue(where, msg))
        if info.restricted_picklist and info.picklist:
            allowed = set(info.picklist)
            for value in step.outputs:
                if value not in allowed:
                    msg = (
                        f"value {value!r} is not in the restricted picklist of "
                        f"{step.target!r} ({', '.join(info.picklist)})"
                    )
                    issues.append(mapping.issue((*where, "value_map"), msg))
    return issues


def validate_mapping(mapping: Mapping, schema: ObjectSchema) -> list[MappingIssue]:
    """Return every problem of ``mapping`` against ``schema`` (see ``Mapping.validate``)."""
    issues = []
    if schema.object.lower() != mapping.spec.object.lower():
        msg = f"mapping is for {mapping.spec.object!r}, schema describes {schema.object!r}"
        issues.append(mapping.issue(("object",), msg))
    issues += _check_reads(mapping, schema)
    issues += _check_writes(mapping, schema)
    written = {s.target.lower() for s in mapping.writes}
    for info in schema.fields:
        if info.required and info.createable and info.name.lower() not in written:
            msg = f"required field {info.name!r} of {schema.object} is not written by the mapping"
            issues.append(mapping.issue(("fields",), msg))
    return sorted(issues, key=lambda i: i.line)
