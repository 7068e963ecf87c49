"""Crash between inbox commit and answer: the sender's retry to a restarted server yields one
inbox row and one processed event (both backends, real server processes)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import Engine
from webhook_support import LEAD, NEW_STD, wait_for

from leadsync.connectors.retry import RetryPolicy
from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from leadsync.server.outbound import Delivery, OutboundSender
from leadsync.store import inbox
from leadsync.store.engine import session_factory

HERE = Path(__file__).parent
CRASH_CODE = 17


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    db_url: str, port: int, record: Path, *, crash: bool, extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(HERE / "crash_server.py"), "--db", db_url]
    command += ["--port", str(port), "--record", str(record), *extra]
    if crash:
        command.append("--crash-after-commit")
    process = subprocess.Popen(command, cwd=HERE.parent.parent)

    def healthy() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    assert wait_for(healthy, timeout=30), "server did not start"
    return process


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", [False, True], ids=["inbox", "into-crm"])
def test_crash_after_commit_then_retry_stores_and_processes_once(
    engine: Engine, db_url: str, tmp_path: Path, pipeline: bool
) -> None:
    port = _free_port()
    record = tmp_path / "processed.txt"
    with contextlib.ExitStack() as stack:
        extra: tuple[str, ...] = ()
        salesforce = None
        if pipeline:
            salesforce = SalesforceSandbox()
            server = stack.enter_context(serve_salesforce(salesforce))
            extra = ("--salesforce", server.base_url, "--ca", str(server.ca_path))
        _crash_and_retry(engine, db_url, port, record, extra)
        if salesforce is not None:
            # Exactly one lead in the CRM for the one event, whatever the crash.
            emails = [r.get("Email") for r in salesforce.rows("Lead")]
            assert emails == [LEAD["email"]]


def _crash_and_retry(
    engine: Engine, db_url: str, port: int, record: Path, extra: tuple[str, ...]
) -> None:
    first = _start(db_url, port, record, crash=True, extra=extra)
    sender = OutboundSender(
        SecretStr(NEW_STD),
        allowed=["127.0.0.1"],
        retry=RetryPolicy(max_attempts=40, base=0.1, cap=0.5, max_total_wait=60),
    )
    outcome: list[Delivery | BaseException] = []

    def send() -> None:
        try:
            outcome.append(sender.send(f"http://127.0.0.1:{port}/hooks/std", "lead", LEAD))
        except BaseException as exc:  # reported by the assertion below
            outcome.append(exc)

    thread = threading.Thread(target=send)
    thread.start()
    assert first.wait(timeout=30) == CRASH_CODE
    second = _start(db_url, port, record, crash=False, extra=extra)
    try:
        thread.join(60)
        (delivery,) = outcome
        assert isinstance(delivery, Delivery), delivery
        # The first attempt was committed before the crash, so the retry is a duplicate.
        assert delivery.status == 200
        assert delivery.attempts >= 2
        factory = session_factory(engine)
        assert wait_for(lambda: inbox.counts(factory) == {"done": 1}, timeout=30)
        assert record.read_text().splitlines() == [delivery.msg_id]
    finally:
        second.terminate()
        second.wait(timeout=30)
