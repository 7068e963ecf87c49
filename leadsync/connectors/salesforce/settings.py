"""Salesforce connector settings: one auth model per OAuth flow, picked by ``kind``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PasswordAuth(_Auth):
    """Username + password + security token (OAuth password grant with a connected app)."""

    kind: Literal["password"] = "password"
    username: str
    password: SecretStr
    security_token: SecretStr = SecretStr("")
    client_id: str
    client_secret: SecretStr


class RefreshTokenAuth(_Auth):
    """OAuth refresh-token grant (web-server flow done once, refresh token stored)."""

    kind: Literal["refresh_token"] = "refresh_token"
    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr


class JwtAuth(_Auth):
    """OAuth JWT bearer grant: a connected app's certificate signs a short-lived assertion."""

    kind: Literal["jwt"] = "jwt"
    username: str
    client_id: str
    private_key: SecretStr | None = None
    private_key_file: Path | None = None


class SessionAuth(_Auth):
    """A ready session id and instance URL (cannot be renewed: expiry is a ConfigError)."""

    kind: Literal["session"] = "session"
    session_id: SecretStr
    instance_url: str


SalesforceAuth = Annotated[
    PasswordAuth | RefreshTokenAuth | JwtAuth | SessionAuth, Field(discriminator="kind")
]


class SalesforceSettings(BaseModel):
    """Settings of the Salesforce connector.

    Attributes:
        auth: How to authenticate.
        domain: Login domain: ``login``, ``test`` or a My Domain prefix (``acme.my``).
        login_url: Full login URL; overrides ``domain`` (e.g. an emulator).
        api_version: REST API version.
        bulk_threshold: Writes of at least this many ops of one kind go through Bulk API 2.0.
        budget_share: Stop (BudgetExhaustedError) once this share of the daily API allocation
            reported by ``Sforce-Limit-Info`` is used.
        allow_duplicates: Send ``Sforce-Duplicate-Rule-Header: allowSave=true``.
        lock_retries: Extra attempts for rows that failed UNABLE_TO_LOCK_ROW.
        timeout: Seconds to wait for an answer.
        bulk_poll_interval: Seconds between Bulk job status polls.
        bulk_timeout: Seconds to wait for a Bulk job to finish.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: SalesforceAuth
    domain: str = "login"
    login_url: str | None = None
    api_version: str = Field(default="60.0", pattern=r"^\d{2,3}\.0$")
    bulk_threshold: int = Field(default=2000, ge=1)
    budget_share: float = Field(default=0.9, gt=0, le=1)
    allow_duplicates: bool = False
    lock_retries: int = Field(default=3, ge=0)
    timeout: float = Field(default=60.0, gt=0)
    bulk_poll_interval: float = Field(default=2.0, ge=0)
    bulk_timeout: float = Field(default=1800.0, gt=0)

    @property
    def effective_login_url(self) -> str:
        """The login URL without a trailing slash."""
        return (self.login_url or f"https://{self.domain}.salesforce.com").rstrip("/")
