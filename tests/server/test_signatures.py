"""Signature schemes against published vectors and a matrix of forgeries (no store)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hubspot.utils.signature import Signature
from starlette.datastructures import Headers

from leadsync.server.settings import standard_key
from leadsync.server.signatures import (
    SignatureError,
    hubspot_signed_uri,
    sign_hubspot_v3,
    sign_standard,
    verify_hmac,
    verify_hubspot_v3,
    verify_standard,
)

# The Standard Webhooks specification's published test vector (reference libraries' tests).
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _sw_headers(**changes: str | None) -> Headers:
    values = {
        "webhook-id": SW_ID,
        "webhook-timestamp": str(SW_TS),
        "webhook-signature": SW_SIGNATURE,
    }
    values.update(changes)  # type: ignore[arg-type]
    return Headers({k: v for k, v in values.items() if v is not None})


def test_standard_vector_signs_exactly() -> None:
    assert sign_standard(standard_key(SW_SECRET), SW_ID, SW_TS, SW_BODY) == SW_SIGNATURE


@pytest.mark.parametrize(
    "secret", [SW_SECRET, SW_SECRET.removeprefix("whsec_")], ids=["prefixed", "bare"]
)
def test_standard_vector_verifies(secret: str) -> None:
    keys = [standard_key(secret)]
    assert verify_standard(keys, _sw_headers(), SW_BODY, now=SW_TS + 10, tolerance=300) == SW_ID


OTHER_KEY = standard_key("whsec_" + base64.b64encode(b"another-key").decode())


@pytest.mark.parametrize(
    ("headers", "body", "now", "keys", "reason"),
    [
        (_sw_headers(), b'{"test": 2432232315}', SW_TS, None, "bad_signature"),
        (_sw_headers(), b'{"test":2432232314}', SW_TS, None, "bad_signature"),
        (_sw_headers(**{"webhook-id": "msg_other"}), SW_BODY, SW_TS, None, "bad_signature"),
        (
            _sw_headers(**{"webhook-timestamp": str(SW_TS + 1)}),
            SW_BODY,
            SW_TS,
            None,
            "bad_signature",
        ),
        (
            _sw_headers(**{"webhook-signature": "v2," + SW_SIGNATURE[3:]}),
            SW_BODY,
            SW_TS,
            None,
            "bad_signature",
        ),
        (_sw_headers(**{"webhook-signature": None}), SW_BODY, SW_TS, None, "missing_headers"),
        (_sw_headers(**{"webhook-id": None}), SW_BODY, SW_TS, None, "missing_headers"),
        (_sw_headers(**{"webhook-timestamp": None}), SW_BODY, SW_TS, None, "missing_headers"),
        (_sw_headers(**{"webhook-timestamp": "hello"}), SW_BODY, SW_TS, None, "bad_timestamp"),
        (_sw_headers(**{"webhook-timestamp": "-5"}), SW_BODY, SW_TS, None, "bad_timestamp"),
        (_sw_headers(), SW_BODY, SW_TS + 301, None, "stale_timestamp"),
        (_sw_headers(), SW_BODY, SW_TS - 301, None, "stale_timestamp"),
        (_sw_headers(), SW_BODY, SW_TS, [OTHER_KEY], "bad_signature"),
    ],
    ids=[
        "tampered-body",
        "reserialised-json",
        "other-id",
        "other-timestamp",
        "wrong-version",
        "no-signature",
        "no-id",
        "no-timestamp",
        "junk-timestamp",
        "negative-timestamp",
        "stale",
        "future",
        "wrong-secret",
    ],
)
def test_standard_refusals(
    headers: Headers, body: bytes, now: float, keys: list[bytes] | None, reason: str
) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_standard(keys or [standard_key(SW_SECRET)], headers, body, now=now, tolerance=300)
    assert caught.value.reason == reason


def test_standard_accepts_any_listed_signature_and_any_rotated_key() -> None:
    listed = f"v1,bm9wZQ== v2,{SW_SIGNATURE[3:]} {SW_SIGNATURE}"
    keys = [OTHER_KEY, standard_key(SW_SECRET)]
    headers = _sw_headers(**{"webhook-signature": listed})
    assert verify_standard(keys, headers, SW_BODY, now=SW_TS, tolerance=300) == SW_ID


def test_standard_tolerance_edges_are_inclusive() -> None:
    keys = [standard_key(SW_SECRET)]
    for now in (SW_TS - 300, SW_TS + 300):
        assert verify_standard(keys, _sw_headers(), SW_BODY, now=now, tolerance=300) == SW_ID


# HubSpot v3 fixed vector: computed by the documented algorithm
# base64(HMAC-SHA256(secret, method + uri + body + timestamp)), cross-checked below with the
# official hubspot-api-client's Signature helper.
HS_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
HS_URI = "https://example.com/hooks/hubspot?portal=62515"
HS_BODY = b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"objectId":123}]'
HS_TS = "1700000000000"
HS_SIGNATURE = "NkEcuDVNzX1iQJ1wxDRpsIBI+EMijZSWkzJ41d2Ni0E="


def test_hubspot_vector_matches_official_sdk() -> None:
    ours = sign_hubspot_v3(HS_SECRET.encode(), "POST", HS_URI, HS_BODY, HS_TS)
    sdk = Signature.get_signature(HS_SECRET, HS_BODY.decode(), "v3", HS_URI, "POST", HS_TS)
    assert ours == sdk == HS_SIGNATURE


def _hs_headers(signature: str = HS_SIGNATURE, stamp: str = HS_TS) -> Headers:
    return Headers({"x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": stamp})


def test_hubspot_vector_verifies() -> None:
    verify_hubspot_v3(
        [b"old-secret", HS_SECRET.encode()],
        _hs_headers(),
        HS_BODY,
        method="POST",
        uri=HS_URI,
        now=int(HS_TS) / 1000 + 5,
        tolerance=300,
    )


@pytest.mark.parametrize(
    ("headers", "body", "uri", "now_offset", "reason"),
    [
        (_hs_headers(), HS_BODY + b" ", HS_URI, 0, "bad_signature"),
        (_hs_headers(), HS_BODY, HS_URI.replace("62515", "1"), 0, "bad_signature"),
        (_hs_headers(), HS_BODY, HS_URI, 301, "stale_timestamp"),
        (_hs_headers(), HS_BODY, HS_URI, -301, "stale_timestamp"),
        (_hs_headers(stamp="soon"), HS_BODY, HS_URI, 0, "bad_timestamp"),
        (Headers({"x-hubspot-request-timestamp": HS_TS}), HS_BODY, HS_URI, 0, "missing_headers"),
    ],
    ids=["tampered-body", "other-uri", "stale", "future", "junk-timestamp", "no-signature"],
)
def test_hubspot_refusals(
    headers: Headers, body: bytes, uri: str, now_offset: float, reason: str
) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_hubspot_v3(
            [HS_SECRET.encode()],
            headers,
            body,
            method="POST",
            uri=uri,
            now=int(HS_TS) / 1000 + now_offset,
            tolerance=300,
        )
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("raw", "signed"),
    [
        ("https://x.io/h?a=b%3Ac%2Fd%40e", "https://x.io/h?a=b:c/d@e"),
        ("https://x.io/h?q=%21%24%27%28%29%2a%2C%3B%3f", "https://x.io/h?q=!$'()*,;?"),
        ("https://x.io/h?q=a%20b%26c", "https://x.io/h?q=a%20b%26c"),
    ],
    ids=["reserved-decoded", "lowercase-escapes-decoded", "others-kept"],
)
def test_hubspot_uri_decoding(raw: str, signed: str) -> None:
    assert hubspot_signed_uri(raw) == signed


FORM_KEY = b"form-secret"
FORM_BODY = b'{"email":"a@b.co"}'
FORM_HEX = hmac.new(FORM_KEY, FORM_BODY, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "value", [FORM_HEX, "sha256=" + FORM_HEX, FORM_HEX.upper()], ids=["bare", "prefixed", "upper"]
)
def test_hmac_accepts(value: str) -> None:
    verify_hmac([b"old", FORM_KEY], Headers({"x-sig": value}), FORM_BODY, "X-Sig")


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (Headers({"x-sig": FORM_HEX}), FORM_BODY + b"\n", "bad_signature"),
        (Headers({"x-sig": "sha256=" + "0" * 64}), FORM_BODY, "bad_signature"),
        (Headers({"x-sig": "sha256=é"}), FORM_BODY, "bad_signature"),
        (Headers({}), FORM_BODY, "missing_headers"),
    ],
    ids=["tampered-body", "zero-digest", "non-ascii", "missing"],
)
def test_hmac_refusals(headers: Headers, body: bytes, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_hmac([FORM_KEY], headers, body, "X-Sig")
    assert caught.value.reason == reason
