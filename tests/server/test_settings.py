"""Server settings: validation, and secrets kept out of errors and repr."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from leadsync.server import ServerSettings, WebhookSourceConfig

LEAKY = "not-base64-secret!!"


def _source(**kw: object) -> WebhookSourceConfig:
    values: dict[str, object] = {"name": "s", "scheme": "hmac", "secrets": ["k"], **kw}
    return WebhookSourceConfig.model_validate(values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scheme": "standard", "secrets": [LEAKY]}, "base64"),
        ({"secrets": []}, "at least 1"),
        ({"secrets": [""]}, "must not be empty"),
        ({"name": "Bad Name"}, "lower-case"),
        ({"scheme": "md5"}, "scheme"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
    ],
    ids=["standard-not-base64", "no-secret", "empty-secret", "bad-name", "bad-scheme", "zero-size"],
)
def test_invalid_sources_are_refused_without_showing_secrets(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _source(**changes)
    assert message in str(caught.value)
    assert LEAKY not in str(caught.value)


def test_secret_not_in_repr() -> None:
    source = _source(secrets=[SecretStr("hunter2-secret")])
    assert "hunter2" not in repr(source)
    assert source.keys() == [b"hunter2-secret"]


def test_settings_refuse_duplicate_names_and_bad_networks() -> None:
    with pytest.raises(ValidationError, match="unique"):
        ServerSettings(sources=[_source(), _source()])
    with pytest.raises(ValidationError):
        ServerSettings(allowed_targets=["not-a-network"])
    assert ServerSettings(sources=[_source()]).source("s") is not None
    assert ServerSettings().source("s") is None


@pytest.mark.parametrize("ref", ["env:PARTNER_WHSEC", "${PARTNER_WHSEC}", "file:/run/whsec"])
def test_unresolved_references_pass_until_resolved(ref: str) -> None:
    # ``leadsync validate`` checks the section before secrets are resolved.
    assert _source(scheme="standard", secrets=[ref]).secrets[0].get_secret_value() == ref
