"""Multi-process test rig: CRM sandboxes with a kill switch, project files and child processes.

The sandboxes run in the test process; the code under test runs in child processes that reach
them over loopback, exactly as a deployed worker would. :class:`KillSwitch` sits in front of a
sandbox app and SIGKILLs the child's process group when a chosen request arrives, so a kill
point can be placed precisely: before a CRM write is applied, after it was applied but before
the child heard the answer, after the answer, or a few milliseconds later (inside the child's
own database work).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from leadsync.sandbox.clients import DEFAULT_PASSWORD, DEFAULT_USERNAME
from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
from leadsync.sandbox.hubspot import create_app as hubspot_app
from leadsync.sandbox.runtime import ASGIApp, Message, Receive, RunningServer, Scope, Send, serve
from leadsync.sandbox.salesforce import SalesforceSandbox
from leadsync.sandbox.salesforce import create_app as salesforce_app

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
LEADSYNC = str(Path(PYTHON).with_name("leadsync"))
SECRETS = {"RS_SF_PASSWORD": DEFAULT_PASSWORD, "RS_HS_TOKEN": DEFAULT_TOKEN}


@dataclass(frozen=True)
class KillRule:
    """When to kill: the ``nth`` request whose ``METHOD path`` contains ``match``.

    ``when`` is ``before`` (the request is never applied), ``unheard`` (applied, but the child
    is dead before the answer) or ``after`` (killed ``delay`` seconds after the answer went out;
    a later matching request waits for the kill and is never applied, so a child fast enough
    to finish its run within ``delay`` still dies mid-run).
    """

    match: str
    nth: int
    when: str = "unheard"
    delay: float = 0.0

    def describe(self) -> str:
        extra = f"+{self.delay * 1000:.0f}ms" if self.when == "after" else ""
        return f"{self.when}{extra} request #{self.nth} matching {self.match!r}"


_HOLD = KillRule("", 0, "hold")  # what _hit returns for a request that must wait for the kill


class KillSwitch:
    """ASGI layer that SIGKILLs an armed process group at the request a :class:`KillRule` names."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._rule: KillRule | None = None
        self._pgid: int | None = None
        self._seen = 0
        self.fired = threading.Event()

    def arm(self, pgid: int, rule: KillRule) -> None:
        with self._lock:
            self._rule, self._pgid, self._seen = rule, pgid, 0
            self.fired.clear()

    def disarm(self) -> None:
        with self._lock:
            self._rule = self._pgid = None

    def _hit(self, scope: Scope) -> KillRule | None:
        if scope["type"] != "http":
            return None
        with self._lock:
            rule = self._rule
            if rule is None or rule.match not in f"{scope['method']} {scope['path']}":
                return None
            self._seen += 1
            if self._seen > rule.nth and rule.when == "after":
                return _HOLD  # the kill is due: a fast child must not run past it to the end
            return rule if self._seen == rule.nth else None

    def _kill(self) -> None:
        with self._lock:
            pgid, self._rule = self._pgid, None
        if pgid is not None:
            kill_group(pgid)
        self.fired.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self._hit(scope)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule is _HOLD:
            # A later request while an "after" kill is pending: held until the kill lands, and
            # never applied (the child is dead by then; nobody hears the 503).
            await asyncio.to_thread(self.fired.wait, 30.0)  # it fires after its delay
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        elif rule.when == "before":
            self._kill()
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        elif rule.when == "unheard":
            # Read the whole body first: the write must reach the CRM after the child died.
            body = await _drain(receive)
            self._kill()
            await self.app(scope, _replay(body), _discard(send))
        else:
            await self.app(scope, receive, send)
            await asyncio.sleep(rule.delay)
            self._kill()


async def _drain(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _discard(send: Send) -> Send:
    async def quiet(message: Message) -> None:
        # The client is dead: its answer has nowhere to go.
        with suppress(Exception):
            await send(message)

    return quiet


@dataclass
class Sandboxes:
    """A Salesforce and a HubSpot sandbox served on loopback, each behind a kill switch."""

    salesforce: SalesforceSandbox
    hubspot: HubSpotSandbox
    sf_switch: KillSwitch
    hs_switch: KillSwitch
    sf_server: RunningServer
    hs_server: RunningServer

    def reset(self) -> None:
        self.sf_switch.disarm()
        self.hs_switch.disarm()
        self.salesforce.reset()
        self.hubspot.reset()


@contextmanager
def running_sandboxes() -> Iterator[Sandboxes]:
    salesforce, hubspot = SalesforceSandbox(), HubSpotSandbox()
    sf_switch = KillSwitch(salesforce_app(salesforce))
    hs_switch = KillSwitch(hubspot_app(hubspot))
    with serve(sf_switch, tls=True) as sf_server, serve(hs_switch, tls=False) as hs_server:
        yield Sandboxes(salesforce, hubspot, sf_switch, hs_switch, sf_server, hs_server)


def connectors(boxes: Sandboxes) -> dict[str, Any]:
    """Project-file connector entries pointing at the sandboxes (secrets by reference)."""
    return {
        "salesforce": {
            "type": "salesforce",
            "ca_bundle": boxes.sf_server.ca_path,
            "settings": {
                "auth": {
                    "kind": "password",
                    "username": DEFAULT_USERNAME,
                    "password": "${RS_SF_PASSWORD}",
                    "client_id": "resilience-tests",
                    "client_secret": "${RS_SF_PASSWORD}",
                },
                "login_url": boxes.sf_server.base_url,
            },
        },
        "hubspot": {
            "type": "hubspot",
            "settings": {
                "auth": {"kind": "private_app", "access_token": "${RS_HS_TOKEN}"},
                "base_url": boxes.hs_server.base_url,
                "rate_limit": 10_000,
            },
        },
    }


def write_project(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def child_env() -> dict[str, str]:
    """The environment of child processes: secrets set, no store or CA overrides inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSYNC_")}
    env.update(SECRETS)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn(
    args: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``args`` in a new session (its own process group), output into ``log``.

    ``env`` adds to the children's environment (:func:`child_env`).
    """
    with log.open("ab") as out:
        return subprocess.Popen(
            list(args),
            cwd=REPO,
            env={**child_env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(pgid: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


@contextmanager
def reaped(procs: list[subprocess.Popen[bytes]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Yield ``procs``; on the way out SIGKILL every group still alive and reap it."""
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                kill_group(proc.pid)
        for proc in procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.02
) -> None:
    """Poll ``condition`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def tail(log: Path, lines: int = 80) -> str:
    if not log.exists():
        return "(no output)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
