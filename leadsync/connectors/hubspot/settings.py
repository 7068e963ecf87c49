"""HubSpot connector settings: a private-app token or an OAuth refresh token."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class PrivateAppAuth(BaseModel):
    """A private app's access token (never expires; revoke it in HubSpot)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["private_app"] = "private_app"
    access_token: SecretStr


class OAuthAuth(BaseModel):
    """An OAuth app's refresh token; access tokens are fetched and renewed from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["oauth"] = "oauth"
    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr


HubSpotAuth = Annotated[PrivateAppAuth | OAuthAuth, Field(discriminator="kind")]


class HubSpotSettings(BaseModel):
    """Settings of the HubSpot connector.

    Attributes:
        auth: How to authenticate.
        base_url: API host (an emulator in tests).
        portal_id: The portal (hub) id; rate budgets are shared per portal.
        rate_limit: Requests allowed per ``rate_window`` seconds by the client-side budget
            (HubSpot allows 100 or 190 per 10 s depending on the plan; stay under it).
        rate_window: The budget's window in seconds.
        properties: Properties to read per object; empty reads every defined property.
        timeout: Seconds to wait for an answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: HubSpotAuth
    base_url: str = "https://api.hubapi.com"
    portal_id: str | None = None
    rate_limit: int = Field(default=100, ge=1)
    rate_window: float = Field(default=10.0, gt=0)
    properties: dict[str, list[str]] = Field(default_factory=dict)
    timeout: float = Field(default=60.0, gt=0)
