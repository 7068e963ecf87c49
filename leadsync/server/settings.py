"""Typed settings of the webhook server: its sources, where it listens, whom it may call."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from leadsync.config.secrets import SecretRef

Scheme = Literal["standard", "hubspot_v3", "hmac"]
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def standard_key(secret: str) -> bytes:
    """Return the HMAC key of a Standard Webhooks secret (base64 after an optional ``whsec_``).

    Raises:
        ValueError: The secret is not base64 (the message never shows the secret).
    """
    text = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a standard-webhooks secret must be base64 after 'whsec_'") from None


class WebhookSourceConfig(BaseModel):
    """One sender that may POST to ``/hooks/{name}``.

    Attributes:
        name: The path segment, e.g. ``hubspot`` or ``website-forms``.
        scheme: How requests are signed: ``standard`` (Standard Webhooks), ``hubspot_v3``
            or ``hmac`` (hex HMAC-SHA256 of the body in ``header``).
        secrets: Every secret currently accepted; list the new one beside the old one while
            rotating, then drop the old one.
        header: The signature header of the ``hmac`` scheme.
        max_body_bytes: Larger bodies are refused with 413.
        tolerance_seconds: Signed timestamps further than this from now (either way) are refused.
        require_lead: Each body must be a form payload that maps to a lead (email or phone);
            switch off for change-notification feeds (e.g. HubSpot CRM event arrays).
        public_url: The URL the sender calls, when a proxy rewrites it (HubSpot signs it).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: str
    scheme: Scheme
    secrets: list[SecretStr] = Field(min_length=1)
    header: str = "X-Signature"
    max_body_bytes: int = Field(default=256 * 1024, ge=1)
    tolerance_seconds: int = Field(default=300, ge=1)
    require_lead: bool = True
    public_url: str | None = None

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if not _SOURCE_NAME.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_', starting a letter")
        return value

    @model_validator(mode="after")
    def _secrets_fit_scheme(self) -> WebhookSourceConfig:
        if self.scheme == "standard":
            for secret in self.secrets:
                value = secret.get_secret_value()
                # An unresolved reference (``leadsync validate``) is checked once resolved.
                if SecretRef.parse(value) is None:
                    standard_key(value)
        if any(not s.get_secret_value() for s in self.secrets):
            raise ValueError("secrets must not be empty")
        return self

    def keys(self) -> list[bytes]:
        """Return the HMAC keys of every accepted secret, in the order configured."""
        values = [s.get_secret_value() for s in self.secrets]
        if self.scheme == "standard":
            return [standard_key(v) for v in values]
        return [v.encode("utf-8") for v in values]


class ServerSettings(BaseModel):
    """The ``server`` section of a project.

    Attributes:
        sources: The webhook senders; each gets ``POST /hooks/{name}``.
        host: Interface to listen on.
        port: TCP port.
        allowed_targets: Outbound notification targets allowed although they resolve to
            loopback, private or link-local addresses (IP addresses or CIDR networks).
        batch_size: Most inbox events one processing round takes.
        retention_days: Days a processed event (and so its id, for deduplication) is kept.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    sources: list[WebhookSourceConfig] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    allowed_targets: list[str] = Field(default_factory=list)
    batch_size: int = Field(default=100, ge=1)
    retention_days: int = Field(default=30, ge=30)

    @field_validator("allowed_targets")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> ServerSettings:
        names = [s.name for s in self.sources]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"webhook source names must be unique: {', '.join(duplicates)}")
        return self

    def source(self, name: str) -> WebhookSourceConfig | None:
        """Return the source called ``name``, if configured."""
        return next((s for s in self.sources if s.name == name), None)
