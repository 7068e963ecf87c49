"""Outbound notifications: Standard Webhooks signing, retries and the address allow-list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr
from sqlalchemy import Engine
from webhook_support import LEAD, NEW_STD, make_settings

from leadsync.connectors.retry import RetryPolicy
from leadsync.errors import ConfigError, FatalError, RetryableError
from leadsync.sandbox.runtime import RunningServer, serve
from leadsync.server import create_app
from leadsync.server.outbound import OutboundSender
from leadsync.server.settings import standard_key
from leadsync.server.signatures import verify_standard
from leadsync.store import inbox
from leadsync.store.engine import session_factory

NO_WAIT = RetryPolicy(max_attempts=4, sleep=lambda _s: None)


def _sender(resolved: list[str] | None = None, **kw: Any) -> OutboundSender:
    options: dict[str, Any] = {"retry": NO_WAIT, **kw}
    if resolved is not None:
        options["resolver"] = lambda _host, _port: resolved
    return OutboundSender(SecretStr(NEW_STD), **options)


@pytest.mark.parametrize(
    ("addresses", "allowed", "ok"),
    [
        (["93.184.216.34"], [], True),
        (["2606:2800:220:1::1"], [], True),
        (["127.0.0.1"], [], False),
        (["10.0.0.5"], [], False),
        (["192.168.1.1"], [], False),
        (["172.16.0.1"], [], False),
        (["169.254.169.254"], [], False),
        (["100.64.0.1"], [], False),
        (["0.0.0.0"], [], False),
        (["::1"], [], False),
        (["fe80::1"], [], False),
        (["::ffff:127.0.0.1"], [], False),
        (["224.0.0.1"], [], False),
        (["93.184.216.34", "10.0.0.1"], [], False),
        (["10.1.2.3"], ["10.0.0.0/8"], True),
        (["127.0.0.1"], ["127.0.0.1"], True),
        (["127.0.0.2"], ["127.0.0.1"], False),
    ],
    ids=[
        "public-v4",
        "public-v6",
        "loopback",
        "private-10",
        "private-192",
        "private-172",
        "link-local-metadata",
        "shared-cgnat",
        "unspecified",
        "loopback-v6",
        "link-local-v6",
        "mapped-loopback",
        "multicast",
        "one-bad-of-two",
        "allowed-network",
        "allowed-host",
        "allowed-host-only",
    ],
)
def test_allow_list(addresses: list[str], allowed: list[str], ok: bool) -> None:
    sender = _sender(addresses, allowed=allowed)
    if ok:
        sender.check_target("https://hooks.example.com/in")
    else:
        with pytest.raises(ConfigError) as caught:
            sender.check_target("https://hooks.example.com/in")
        assert caught.value.code == "TARGET_NOT_ALLOWED"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http:///nohost", "file:///etc/passwd"])
def test_non_http_targets_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        _sender(["93.184.216.34"]).check_target(url)


def test_delivery_to_our_own_receiver_verifies_and_lands(engine: Engine) -> None:
    with serve(create_app(make_settings(), engine=engine), tls=False) as server:
        sender = _sender(allowed=["127.0.0.1"])
        delivery = sender.send(f"{server.base_url}/hooks/std", "lead.created", LEAD)
        assert (delivery.status, delivery.attempts) == (202, 1)
        again = sender.send(
            f"{server.base_url}/hooks/std", "lead.created", LEAD, msg_id=delivery.msg_id
        )
        assert again.status == 200
    assert inbox.counts(session_factory(engine)) == {"pending": 1}


def test_loopback_is_refused_without_allowance(engine: Engine) -> None:
    app = create_app(make_settings(), engine=engine)
    with serve(app, tls=False) as server:
        with pytest.raises(ConfigError):
            _sender().send(f"{server.base_url}/hooks/std", "lead.created", LEAD)
        assert app.state.metrics.value("received", source="std") == 0


class _Script:
    """A target that answers the scripted statuses in turn, keeping each request's headers."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.app = FastAPI()

        @self.app.post("/in")
        async def take(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            status = self.statuses.pop(0) if self.statuses else 204
            headers = {"location": "http://169.254.169.254/"} if status == 307 else {}
            return JSONResponse({}, status, headers=headers)


@pytest.fixture
def script() -> Iterator[tuple[_Script, RunningServer]]:
    target = _Script([])
    with serve(target.app, tls=False) as server:
        yield target, server


def test_transient_failures_are_retried_with_the_same_id(
    script: tuple[_Script, RunningServer],
) -> None:
    target, server = script
    target.statuses.extend([503, 429, 202])
    delivery = _sender(allowed=["127.0.0.1"]).send(f"{server.base_url}/in", "lead.routed", LEAD)
    assert (delivery.status, delivery.attempts) == (202, 3)
    ids = {headers["webhook-id"] for headers, _ in target.requests}
    assert ids == {delivery.msg_id}
    for headers, body in target.requests:
        keys = [standard_key(NEW_STD)]
        stamp = float(headers["webhook-timestamp"])
        assert verify_standard(keys, headers, body, now=stamp, tolerance=1) == delivery.msg_id


@pytest.mark.parametrize(
    ("statuses", "error", "attempts"),
    [([400], FatalError, 1), ([307], FatalError, 1), ([500] * 5, RetryableError, 4)],
    ids=["client-error-not-retried", "redirect-not-followed", "retries-bounded"],
)
def test_give_up(
    script: tuple[_Script, RunningServer],
    statuses: list[int],
    error: type[Exception],
    attempts: int,
) -> None:
    target, server = script
    target.statuses.extend(statuses)
    with pytest.raises(error):
        _sender(allowed=["127.0.0.1"]).send(f"{server.base_url}/in", "lead.routed", LEAD)
    assert len(target.requests) == attempts


def test_secret_never_in_repr() -> None:
    assert NEW_STD.removeprefix("whsec_") not in repr(_sender(["93.184.216.34"]))
