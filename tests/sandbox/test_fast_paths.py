"""The emulators' per-record shortcuts answer exactly what the general code answers.

Batch writes validate every value through shortcuts (plain text within its length, JSON ints,
well-formed e-mails, orjson for bodies); each test here feeds the same awkward inputs to the
shortcut and to the general path and requires the same result or the same error.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from starlette.responses import JSONResponse

from leadsync.sandbox import jsonio
from leadsync.sandbox.hubspot.models import CONTACTS
from leadsync.sandbox.hubspot.properties import _as_text, _check, clean_values
from leadsync.sandbox.runtime import FaultPlan
from leadsync.sandbox.salesforce.schema import OBJECTS
from leadsync.sandbox.salesforce.validation import SaveError, clean, coerce
from leadsync.sandbox.salesforce.wire import (
    created_ids_response,
    json_array_response,
    success_json,
)

AWKWARD = [
    None, "", " ", "x", "Ada", "x" * 40, "x" * 41, "x" * 81, "x" * 300, "ÄÖÜ ß", 0, 5, -7,
    5.5, True, False, "12", "12.7", "1e3", 2**53, 2**53 + 1, -(2**53) - 1, 10**30,
    "ada@example.com", "ADA@Example.COM", "bad email", "a@b", "a@b.c;d@e.f", "2024-01-02",
    "2024-01-02T03:04:05Z", "not a date", "Open - Not Contacted", "Hot", "Nope", "00Q", [],
    {"a": 1},
]  # fmt: skip


def _outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return ("ok", call(*args, **kwargs))
    except SaveError as exc:
        return ("error", exc.code, exc.message, exc.fields)
    except (ValueError, OverflowError) as exc:  # a date beyond what datetime can hold
        return ("refused", type(exc).__name__, str(exc))


def _coerced(fdef: Any, value: Any) -> dict[str, Any]:
    return {fdef.name: coerce(fdef, value)}


@pytest.mark.parametrize("obj", sorted(OBJECTS))
def test_salesforce_clean_matches_coerce_for_every_writable_field(obj: str) -> None:
    odef = OBJECTS[obj]
    for fdef in odef.fields.values():
        if not fdef.createable:
            continue
        for value in AWKWARD:
            for key in (fdef.name, fdef.name.lower()):
                got = _outcome(clean, odef, {key: value}, creating=True)
                assert got == _outcome(_coerced, fdef, value), (obj, key, value)


def test_salesforce_clean_skips_attributes_and_refuses_unknown_keys() -> None:
    odef = OBJECTS["Lead"]
    got = clean(odef, {"attributes": {"type": "Lead"}, "lastname": "X"}, creating=True)
    assert got == {"LastName": "X"}
    for key in ("Attributes", "Nope"):
        with pytest.raises(SaveError) as info:
            clean(odef, {key: 1}, creating=True)
        assert info.value.code == "INVALID_FIELD"
    with pytest.raises(SaveError) as info:
        clean(odef, {"IsDeleted": True}, creating=True)
    assert info.value.code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert clean(odef, {"Nope": "", "LastName": ""}, creating=True, skip_empty=True) == {}


def test_hubspot_clean_values_match_the_per_value_check() -> None:
    owners = {"7"}
    catalog = CONTACTS.catalog
    for prop in catalog.values():
        for value in AWKWARD:
            got = _outcome(clean_values, catalog, {prop.name: value}, owners=owners)
            if prop.read_only:
                assert [p["error"] for p in got[1][1]] == ["READ_ONLY_VALUE"]
                continue
            if value is None or value == "":
                assert got == ("ok", ({prop.name: None}, []))
                continue
            checked = _outcome(_check, prop, _as_text(value), owners)
            if checked[0] == "ok":
                text, problem = checked[1]
                checked = ("ok", ({}, [problem]) if problem else ({prop.name: text}, []))
            assert got == checked, (prop.name, value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": [1, 2.5, "x", null, true]}',
        b'{"a": NaN, "b": -Infinity}',
        b'{"big": 123456789012345678901234567890, "small": -9223372036854775809}',
        b'{"edge": [18446744073709551615, -9223372036854775808, 1e308, -0.0, 0.1]}',
        b'{"phone": "+1 5550100 1234567890123456789"}',
        '{"bom": "\u00e9"}'.encode("utf-8-sig"),
        '{"utf16": 1}'.encode("utf-16"),
        b'{"dup": 1, "dup": 2}',
        b'"\\ud800"',
        b"  [1e400]  ",
    ],
)
def test_jsonio_loads_accepts_what_json_loads_accepts(raw: bytes) -> None:
    got, want = jsonio.loads(raw), json.loads(raw)
    assert json.dumps(got) == json.dumps(want)  # same values and types (an exact int stays one)


@pytest.mark.parametrize("raw", [b"", b"{", b"[1,]", b"{'a': 1}", b"\xff\xfe\x00"])
def test_jsonio_loads_refuses_what_json_loads_refuses(raw: bytes) -> None:
    # The same ValueError, with the standard parser's own message.
    assert _outcome(jsonio.loads, raw) == _outcome(json.loads, raw)
    assert _outcome(json.loads, raw)[0] == "refused"


@pytest.mark.parametrize(
    "content",
    [
        {"status": "COMPLETE", "results": [{"id": "1", "properties": {"a": 'é\n"x\\'}}]},
        [None, True, 0, -1, "\u2028", {"nested": []}],
        {1: "int key"},
        {"big": 10**30},
    ],
)
def test_fast_json_response_is_valid_json_of_the_same_content(content: Any) -> None:
    body = jsonio.FastJSONResponse(content).body
    assert json.loads(body) == json.loads(JSONResponse(content).body)


def test_fast_json_response_still_refuses_nan_where_it_must_fall_back() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        jsonio.FastJSONResponse({1: math.nan})


@pytest.mark.parametrize(
    "ids", [[], ["00QDn0000000001AAA"], [f"00QDn00000000{i:02d}AAA" for i in range(40)]]
)
def test_created_ids_response_is_the_general_rendering(ids: list[str]) -> None:
    general = json_array_response([success_json(i) for i in ids])
    assert created_ids_response(ids).body == general.body
    assert json.loads(created_ids_response(ids).body) == [
        {"id": i, "success": True, "errors": []} for i in ids
    ]


def test_fault_plan_says_when_it_rejects_records() -> None:
    plan = FaultPlan()
    assert not plan.rejecting
    plan.reject_records(lambda r: None)
    assert plan.rejecting
    plan.clear()
    assert not plan.rejecting
