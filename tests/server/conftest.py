"""Fixtures of the webhook server tests: an app over each store backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from webhook_support import FakeProcessor, make_settings

from leadsync.server import create_app


@pytest.fixture
def processor() -> FakeProcessor:
    return FakeProcessor()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A test client over an app without a consumer (events stay pending)."""
    with TestClient(create_app(make_settings(), engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def live_client(engine: Engine, processor: FakeProcessor) -> Iterator[TestClient]:
    """A test client over an app whose consumer runs ``processor``."""
    app = create_app(make_settings(), engine=engine, processor=processor)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def fuzz_client(engine: Engine) -> Iterator[TestClient]:
    """A client that turns server exceptions into 500 answers instead of raising them."""
    app = create_app(make_settings(), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
