"""Process-level settings from the environment (``LEADSYNC_*``), above the project file.

Priority, highest first: command-line options, ``LEADSYNC_*`` environment variables, the
project file, built-in defaults.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    """Settings read from ``LEADSYNC_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="LEADSYNC_", extra="ignore")

    config: str = "leadsync.yaml"
    db_url: str | None = None
    log_level: str = "WARNING"
