"""Webhook receiver throughput and receive → processed latency, on SQLite and PostgreSQL.

Serves the real app with uvicorn on loopback (consumer thread running), then:

1. baseline: ``inbox.accept`` called directly in one thread (the store alone);
2. throughput: concurrent signed senders (threads, keep-alive sessions) post N new events;
   prints accepted/s and its ratio to the baseline (target ≥ 500/s);
3. latency: one paced sender at 50 events/s; once processed, p50/p99 of
   ``processed_at - received_at`` from the inbox rows (target p99 < 250 ms), plus the
   sender-observed acknowledgement time.

The processor is a no-op fake unless ``--processor module:callable`` names a callable that
takes the store engine and returns an :class:`~leadsync.server.InboxProcessor`.

    .venv/bin/python benchmarks/webhook_latency.py            # both backends, full run
    .venv/bin/python benchmarks/webhook_latency.py --quick    # small run
    .venv/bin/python benchmarks/webhook_latency.py --backend sqlite --processor pkg.mod:make
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib
import json
import multiprocessing
import multiprocessing.pool
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, select, text

from leadsync.sandbox.runtime import serve
from leadsync.server import (
    InboxProcessor,
    ProcessOutcome,
    ServerSettings,
    WebhookSourceConfig,
    create_app,
)
from leadsync.server.settings import standard_key
from leadsync.server.signatures import sign_standard
from leadsync.store import inbox
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.migrate import upgrade
from leadsync.store.models import InboxEvent

SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-key-0123456789").decode()
KEY = standard_key(SECRET)
PG_ADMIN = os.environ.get("LEADSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class FakeProcessor:
    """Marks every event handled, doing no work."""

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        return [ProcessOutcome(e.id, ok=True) for e in events]


def load_processor(spec: str | None, engine: Engine) -> InboxProcessor:
    if not spec:
        return FakeProcessor()
    module, _, name = spec.partition(":")
    factory: Callable[[Engine], InboxProcessor] = getattr(importlib.import_module(module), name)
    return factory(engine)


@contextmanager
def store(backend: str) -> Iterator[Engine]:
    """A migrated store, dropped afterwards (a temp SQLite file or a fresh PG schema)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = admin.url.set(query={"options": f"-csearch_path={schema}"})
        engine = make_engine(url.render_as_string(hide_password=False), pool_size=20)
        upgrade(engine)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def signed(msg_id: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"email": f"lead{n}@example.com", "firstname": "Bench", "n": n}).encode()
    stamp = int(time.time())
    return body, {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign_standard(KEY, msg_id, stamp, body),
    }


def baseline(engine: Engine, n: int) -> float:
    factory = session_factory(engine)
    start = time.perf_counter()
    for i in range(n):
        inbox.accept(factory, "baseline", f"b{i}", "{}", datetime.now(UTC))
    return n / (time.perf_counter() - start)


def _send_share(url: str, n: int, slot: int, stride: int, threads: int, tag: str) -> int:
    """Post events slot, slot+stride, ... below n from ``threads`` threads; count non-202s.

    Uses ``http.client`` with bodies signed up front: a lighter client than ``requests``,
    so the senders do not starve the server of CPU on a small machine.
    """
    parts = urlsplit(url)
    bad = [0] * threads

    def run(t: int) -> None:
        work = [signed(f"{tag}-{i}", i) for i in range(slot + t * stride, n, stride * threads)]
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        for body, headers in work:
            connection.request("POST", parts.path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            bad[t] += answer.status != 202
        connection.close()

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(bad)


def throughput(
    pool: multiprocessing.pool.Pool, url: str, n: int, senders: int, tag: str
) -> tuple[float, int]:
    """Post n new events from sender processes (not sharing the server's GIL).

    Returns:
        (accepted/s, non-202 answers).
    """
    procs = pool._processes  # type: ignore[attr-defined]
    per_proc = max(1, senders // procs)
    jobs = [(url, n, p, procs, per_proc, tag) for p in range(procs)]
    start = time.perf_counter()
    bad = sum(pool.starmap(_send_share, jobs))
    return n / (time.perf_counter() - start), bad


def paced(url: str, rate: float, seconds: float, tag: str) -> tuple[list[str], list[float]]:
    """Send at ``rate``/s for ``seconds`` from one thread; return ids and ack latencies."""
    ids: list[str] = []
    acks: list[float] = []
    interval = 1.0 / rate
    start = time.perf_counter()
    with requests.Session() as session:
        for i in range(int(rate * seconds)):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            msg_id = f"{tag}-{i}"
            body, headers = signed(msg_id, i)
            sent = time.perf_counter()
            if session.post(url, data=body, headers=headers, timeout=30).status_code == 202:
                ids.append(msg_id)
                acks.append(time.perf_counter() - sent)
    return ids, acks


def drain(engine: Engine, timeout: float = 120.0) -> None:
    factory = session_factory(engine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = inbox.counts(factory)
        if not counts.get("pending") and not counts.get("processing"):
            return
        time.sleep(0.05)
    raise SystemExit(f"events not processed within {timeout}s: {inbox.counts(factory)}")


def latencies(engine: Engine, ids: list[str]) -> list[float]:
    query = select(InboxEvent.received_at, InboxEvent.processed_at).where(
        InboxEvent.event_id.in_(ids)
    )
    with session_factory(engine)() as session:
        rows = session.execute(query).all()
    return sorted((done - got).total_seconds() for got, done in rows if done is not None)


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_backend(backend: str, args: argparse.Namespace, pool: multiprocessing.pool.Pool) -> None:
    with store(backend) as engine:
        base = baseline(engine, args.events // 4)
        settings = ServerSettings(
            sources=[
                WebhookSourceConfig(name="bench", scheme="standard", secrets=[SecretStr(SECRET)])
            ]
        )
        processor = load_processor(args.processor, engine)
        app = create_app(settings, engine=engine, processor=processor)
        app.state.consumer.start()  # the loopback runner serves without lifespan events
        try:
            with serve(app, tls=False) as server:
                url = f"{server.base_url}/hooks/bench"
                rate, bad = throughput(pool, url, args.events, args.senders, "t")
                drain(engine)
                ids, acks = paced(url, args.rate, args.seconds, "p")
                drain(engine)
        finally:
            app.state.consumer.stop()
        e2e = latencies(engine, ids)
        print(f"[{backend}] baseline store-only accept: {base:8.0f}/s (1 thread)")
        print(
            f"[{backend}] HTTP accepted:             {rate:8.0f}/s with {args.senders} senders"
            f" in {args.sender_procs} processes"
            f" ({rate / base:.2f}x baseline; target >= 500/s; non-202: {bad})"
        )
        print(
            f"[{backend}] paced {args.rate:.0f}/s x {args.seconds:.0f}s: receive->processed"
            f" p50 {pct(e2e, 50) * 1000:6.1f} ms  p99 {pct(e2e, 99) * 1000:6.1f} ms"
            f" (n={len(e2e)}; target p99 < 250 ms)"
        )
        print(
            f"[{backend}] sender-observed ack:        p50 {pct(sorted(acks), 50) * 1000:6.1f} ms"
            f"  p99 {pct(sorted(acks), 99) * 1000:6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="small run")
    parser.add_argument("--events", type=int, default=None, help="events in the burst")
    parser.add_argument("--senders", type=int, default=16, help="sender threads in all")
    parser.add_argument("--sender-procs", type=int, default=2, help="sender processes")
    parser.add_argument("--rate", type=float, default=50.0, help="paced events per second")
    parser.add_argument("--seconds", type=float, default=None, help="paced phase length")
    parser.add_argument("--processor", default=None, help="module:callable(engine) -> processor")
    args = parser.parse_args()
    args.events = args.events or (800 if args.quick else 5000)
    args.seconds = args.seconds or (4.0 if args.quick else 20.0)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    # Senders live in other processes, started before the server threads exist.
    with multiprocessing.get_context("spawn").Pool(args.sender_procs) as pool:
        pool.starmap(time.sleep, [(0,)] * args.sender_procs)
        for backend in backends:
            run_backend(backend, args, pool)


if __name__ == "__main__":
    main()
