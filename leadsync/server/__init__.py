"""The webhook server: verified, durable, fast intake of marketing-automation handoffs."""

from __future__ import annotations

from leadsync.server.app import create_app, run_server
from leadsync.server.consumer import InboxConsumer, InboxProcessor, ProcessOutcome
from leadsync.server.settings import ServerSettings, WebhookSourceConfig

__all__ = [
    "InboxConsumer",
    "InboxProcessor",
    "ProcessOutcome",
    "ServerSettings",
    "WebhookSourceConfig",
    "create_app",
    "run_server",
]
