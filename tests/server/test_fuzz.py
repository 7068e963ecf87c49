"""Property test: no header or body combination makes the receiver answer 5xx."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_support import form_headers, hubspot_headers, std_headers

SOURCES = ["std", "hubspot", "hubspot-events", "forms", "nope"]
HEADER_NAMES = [
    "content-type",
    "content-length",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-hubspot-signature-v3",
    "x-hubspot-request-timestamp",
    "x-form-signature",
]
EXPECTED = {200, 202, 400, 401, 404, 413, 415, 422}

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
leadish = st.fixed_dictionaries(
    {},
    optional={
        "email": st.sampled_from(["ann@example.com", "bad@", "", "x" * 40]) | st.text(max_size=20),
        "phone": st.sampled_from(["+14155552671", "12", "tel"]) | st.text(max_size=15),
        "fields": json_values,
        "eventId": st.integers() | st.text(max_size=5),
        "submittedAt": st.integers() | st.floats() | st.text(max_size=30),
    },
)
bodies = (
    st.binary(max_size=300)
    | st.sampled_from([b"NaN", b'{"email": "a@b.co", "x": Infinity}', b"1" * 5000, b"[" * 5000])
    | json_values.map(lambda v: json.dumps(v).encode())
    | leadish.map(lambda v: json.dumps(v).encode())
)


def _signed(source: str, body: bytes) -> dict[str, str]:
    if source == "std":
        return std_headers(body, msg_id="fuzz")
    if source in ("hubspot", "hubspot-events"):
        return hubspot_headers(body, f"http://testserver/hooks/{source}")
    return form_headers(body)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.sampled_from(SOURCES),
    body=bodies,
    sign=st.booleans(),
    noise=st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=4),
)
def test_no_input_causes_a_server_error(
    fuzz_client: TestClient, source: str, body: bytes, sign: bool, noise: dict[str, str]
) -> None:
    headers: dict[str, Any] = _signed(source, body) if sign else {}
    if not sign or len(noise) > 2:
        headers.update(noise)
    answer = fuzz_client.post(f"/hooks/{source}", content=body, headers=headers)
    assert answer.status_code in EXPECTED, (answer.status_code, answer.text)
