"""Sandbox throughput: requests/s for batch creates against the emulators over loopback HTTPS.

Measures, in one run:
- baseline: a trivial unauthenticated GET (``/services/data/``) on the Salesforce server,
  i.e. the HTTP+TLS+framework floor of one request on one connection;
- Salesforce single-record create (POST /sobjects/Lead) and sObject Collections create of
  200 Leads per request (the body simple-salesforce's ``restful("composite/sobjects", ...)``
  and leadsync's connector send);
- HubSpot batch create of 100 contacts per request (the body of the hubspot client's
  ``crm.objects.batch_api.create``);
- the server's CPU per request during those HTTP runs (uvicorn, TLS and the emulator), read
  from the server process, next to the client's own CPU per request;
- the same two batch creates with the HTTP/TLS stack taken out: the ASGI app called in-process
  (the ceiling the emulator itself puts on the rate);
- HubSpot incremental-read paging: search pages of 200 by ``lastmodifieddate`` (``GTE`` the
  window start, ascending, ``after`` paging, a new window at the 10,000-result cap, as the
  connector reads) through N contacts, in CPU seconds.

Client and server are separate processes (as real clients are). The client speaks through
urllib3 (the transport of the hubspot client and, under requests, of simple-salesforce) on one
keep-alive connection, one request at a time, with the SDKs' JSON encoding; every request
body (each with its own records) is built before the clock starts. Every Salesforce batch
must answer success for all 200 records, every HubSpot batch 201, and the sandboxes' record
counts are checked against the requests sent. Rates are also given for the best of 10 equal
rounds: on a shared machine the overall rate counts time the CPU spent on other work.
Usage: ``python benchmarks/sandbox_throughput.py [--quick] [--requests N] [--search N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import urllib3

TARGET_RPS = 300.0
WARMUP = 5


def _pool(base: str, ca_path: str) -> urllib3.HTTPSConnectionPool:
    """One keep-alive HTTPS connection (urllib3: the hubspot client's and requests' transport)."""
    port = int(base.rsplit(":", 1)[1])
    return urllib3.HTTPSConnectionPool(
        "127.0.0.1", port, ca_certs=ca_path, maxsize=1, block=True, retries=False
    )


def _serve_salesforce(conn: Connection) -> None:
    from leadsync.sandbox.runtime import serve
    from leadsync.sandbox.salesforce import SalesforceSandbox, create_app

    sandbox = SalesforceSandbox()
    with serve(create_app(sandbox), tls=True) as server:
        conn.send((server.base_url, server.ca_path, sandbox.session_id))
        _answer(conn, lambda: sandbox.count("Lead"))


def _serve_hubspot(conn: Connection) -> None:
    from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox

    sandbox = HubSpotSandbox()
    with sandbox.serve(tls=True) as server:
        conn.send((server.base_url, server.ca_path, DEFAULT_TOKEN))
        _answer(conn, lambda: len(sandbox.state.stores["contacts"]))


def _answer(conn: Connection, count: Callable[[], int]) -> None:
    """Serve the parent's questions (process CPU seconds, record count) until it says stop."""
    while (question := conn.recv()) != "stop":
        conn.send(time.process_time() if question == "cpu" else count())


class ChildServer:
    """Runs one ``_serve_*`` target in a spawned process until closed."""

    def __init__(self, target: Callable[[Connection], None]) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=target, args=(child,), daemon=True)
        self._proc.start()
        self.base, self.ca, self.token = self._conn.recv()

    def ask(self, question: str) -> Any:
        """``cpu``: the server process's CPU seconds; ``count``: records in the sandbox."""
        self._conn.send(question)
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send("stop")
        self._proc.join(timeout=15)


@dataclass
class Run:
    """One HTTP measurement: rates, and CPU per request on each side.

    ``best_rps`` is the rate of the fastest of :data:`ROUNDS` equal rounds: on a machine shared
    with other work, the overall rate also counts the time the CPU went to someone else.
    """

    rps: float
    best_rps: float
    server_ms: float
    client_ms: float


ROUNDS = 10


def _timed(
    server: ChildServer,
    n: int,
    call: Callable[[int], urllib3.BaseHTTPResponse],
    ok: Callable[[urllib3.BaseHTTPResponse], bool],
) -> Run:
    for i in range(-WARMUP, 0):  # connection, TLS session, first-call caches
        call(i)
    server_cpu, client_cpu = server.ask("cpu"), time.process_time()
    laps = [time.perf_counter()]
    for i in range(n):
        resp = call(i)
        if not ok(resp):
            raise SystemExit(f"request {i} failed: {resp.status} {resp.data[:200]!r}")
        if (i + 1) % max(1, n // ROUNDS) == 0 or i == n - 1:
            laps.append(time.perf_counter())
    client_ms = (time.process_time() - client_cpu) / n * 1000
    server_ms = (server.ask("cpu") - server_cpu) / n * 1000
    per_round = max(1, n // ROUNDS)
    best = max(per_round / (b - a) for a, b in zip(laps, laps[1 : ROUNDS + 1], strict=False))
    return Run(n / (laps[-1] - laps[0]), best, server_ms, client_ms)


def _sf_body(i: int) -> dict[str, Any]:
    records = [
        {"attributes": {"type": "Lead"}, "LastName": f"L{i}-{j}", "Company": "Bench",
         "Email": f"l{i}.{j}@bench.example", "NumberOfEmployees": j}
        for j in range(200)
    ]  # fmt: skip
    return {"allOrNone": False, "records": records}


def _hs_body(i: int) -> dict[str, Any]:
    inputs = [
        {"properties": {"email": f"c{i}.{j}@bench.example", "firstname": "C", "lastname": f"{i}"}}
        for j in range(100)
    ]
    return {"inputs": inputs}


def _encoded(make: Callable[[int], dict[str, Any]], n: int) -> dict[int, bytes]:
    """Request bodies by request index (warm-up ones negative), as the SDKs encode them."""
    return {i: json.dumps(make(i)).encode() for i in range(-WARMUP, n)}


def _all_succeeded(records: int) -> Callable[[urllib3.BaseHTTPResponse], bool]:
    marker = b'"success":true'
    return lambda resp: resp.status == 200 and resp.data.count(marker) == records


def bench_salesforce(n: int) -> dict[str, Any]:
    server = ChildServer(_serve_salesforce)
    http = _pool(server.base, server.ca)
    json_headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    api = "/services/data/v60.0"
    bodies = _encoded(_sf_body, n)
    singles = {
        i: json.dumps({"LastName": f"S{i}", "Company": "Bench", "Email": f"s{i}@bench.example"})
        for i in range(-WARMUP, n)
    }

    def create(i: int) -> urllib3.BaseHTTPResponse:
        return http.urlopen(
            "POST", f"{api}/composite/sobjects", body=bodies[i], headers=json_headers
        )

    def create_one(i: int) -> urllib3.BaseHTTPResponse:
        return http.urlopen("POST", f"{api}/sobjects/Lead/", body=singles[i], headers=json_headers)

    try:
        floor = _timed(server, n, lambda i: http.urlopen("GET", "/services/data/"),
                       lambda r: r.status == 200)  # fmt: skip
        single = _timed(server, n, create_one, lambda r: r.status == 201)
        batch = _timed(server, n, create, _all_succeeded(200))
        count = server.ask("count")
    finally:
        server.close()
    # Every request that ran (warm-up ones too) created 200 Leads plus one single Lead.
    return {"floor": floor, "single": single, "batch": batch, "count": count,
            "expected": (n + WARMUP) * (200 + 1)}  # fmt: skip


def bench_hubspot(n: int) -> dict[str, Any]:
    server = ChildServer(_serve_hubspot)
    http = _pool(server.base, server.ca)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    path = "/crm/v3/objects/contacts/batch/create"
    bodies = _encoded(_hs_body, n)

    def create(i: int) -> urllib3.BaseHTTPResponse:
        return http.urlopen("POST", path, body=bodies[i], headers=headers)

    try:
        batch = _timed(server, n, create, lambda r: r.status == 201)
        count = server.ask("count")
    finally:
        server.close()
    return {"batch": batch, "count": count, "expected": (n + WARMUP) * 100}


async def _asgi_post(app: Any, path: str, token: str, body: bytes) -> int:
    """POST ``body`` to ``app`` in-process; return the status."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop() if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {token}".encode()),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 443),
    }  # fmt: skip
    await app(scope, receive, send)
    return int(sent[0]["status"])


def bench_server_only(n: int) -> dict[str, float]:
    """CPU ms of server work per batch create (ASGI app in-process, no HTTP, no TLS)."""
    from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
    from leadsync.sandbox.hubspot.app import create_app as hubspot_app
    from leadsync.sandbox.salesforce import SalesforceSandbox, create_app

    sf, hs = SalesforceSandbox(), HubSpotSandbox()
    cases: list[tuple[str, Any, str, str, Callable[[int], dict[str, Any]]]] = [
        ("sf", create_app(sf), "/services/data/v60.0/composite/sobjects", sf.session_id, _sf_body),
        ("hs", hubspot_app(hs), "/crm/v3/objects/contacts/batch/create", DEFAULT_TOKEN, _hs_body),
    ]
    out: dict[str, float] = {}
    for name, app, path, token, make in cases:
        bodies = [json.dumps(make(i)).encode() for i in range(n + 1)]
        out[f"{name}_ms"] = asyncio.run(_asgi_ms(app, path, token, bodies))
    if sf.count("Lead") != (n + 1) * 200 or len(hs.state.stores["contacts"]) != (n + 1) * 100:
        raise SystemExit("in-process batch creates did not store every record")
    return out


async def _asgi_ms(app: Any, path: str, token: str, bodies: list[bytes]) -> float:
    """Mean CPU ms per POST of ``bodies[1:]`` (the first one warms up).

    Process CPU time, not wall time: on a shared machine the wall clock also counts the time
    other processes hold the core, while this loop is single-threaded CPU work.
    """
    await _asgi_post(app, path, token, bodies[0])
    started = time.process_time()
    for body in bodies[1:]:
        if await _asgi_post(app, path, token, body) >= 300:
            raise SystemExit(f"in-process POST {path} failed")
    return (time.process_time() - started) / (len(bodies) - 1) * 1000


def bench_search_paging(contacts: int, *, narrowed: bool = False) -> tuple[float, int, int]:
    """CPU seconds to read ``contacts`` contacts by incremental search pages; pages and rows.

    ``narrowed`` adds a second filter (``email`` HAS_PROPERTY, true of every contact), which
    takes the search off the index-slice path onto the general evaluation.
    """
    from leadsync.sandbox.hubspot import HubSpotSandbox
    from leadsync.sandbox.hubspot.search import MAX_RESULTS, run_search

    store = HubSpotSandbox().state.stores["contacts"]
    seen_at_low: set[int]
    at_last: set[int]
    for i in range(contacts):
        store.create({"email": f"p{i}@bench.example", "lastname": f"P{i}"})
    started = time.process_time()
    low, seen_at_low, pages, rows = 0, set(), 0, 0
    while True:  # one window per 10,000 results, as leadsync.connectors.hubspot.reads does
        after, last_ms, at_last, offset = None, low, set(seen_at_low), 0
        while True:
            since = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(low)}
            has_email = {"propertyName": "email", "operator": "HAS_PROPERTY"}
            body = {
                "filterGroups": [{"filters": [since, has_email] if narrowed else [since]}],
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                "limit": 200, "after": after,
            }  # fmt: skip
            page, _, nxt = run_search(store, body)
            pages += 1
            for obj in page:
                offset += 1
                if obj.updated_ms == low and obj.id in seen_at_low:
                    continue  # read by the previous window
                if obj.updated_ms != last_ms:
                    last_ms, at_last = obj.updated_ms, set()
                at_last.add(obj.id)
                rows += 1
            if nxt is None or nxt >= MAX_RESULTS:
                break
            after = str(nxt)
        if offset < MAX_RESULTS:
            break
        low, seen_at_low = last_ms, at_last
    return time.process_time() - started, pages, rows


def _line(label: str, run: Run, floor: Run, records: int) -> str:
    per_record = f"{run.rps * records:,.0f} records/s, " if records > 1 else ""
    return (
        f"{label:35s}: {run.rps:7.1f} req/s (best round {run.best_rps:7.1f}; {per_record}"
        f"{run.rps / floor.rps:.2f}x baseline, {run.rps / TARGET_RPS:.2f}x target "
        f"{TARGET_RPS:.0f}); CPU/request: server {run.server_ms:.2f} ms, client "
        f"{run.client_ms:.2f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (30 requests)")
    parser.add_argument("--requests", type=int, default=None, help="requests per measurement")
    parser.add_argument("--search", type=int, default=None, help="contacts to page through")
    args = parser.parse_args(argv)
    n = args.requests or (30 if args.quick else 300)
    sf = bench_salesforce(n)
    hs = bench_hubspot(n)
    floor: Run = sf["floor"]
    print(f"requests per measurement: {n} (one keep-alive HTTPS connection, client process)")
    print(_line("baseline GET /services/data/", floor, floor, 1))
    print(_line("salesforce single-record create", sf["single"], floor, 1))
    print(_line("salesforce collections create x200", sf["batch"], floor, 200))
    print(_line("hubspot batch create x100", hs["batch"], floor, 100))
    for name, result in (("salesforce Leads", sf), ("hubspot contacts", hs)):
        verdict = "ok" if result["count"] == result["expected"] else "MISMATCH"
        print(f"{name} in the sandbox at the end: {result['count']:,} "
              f"(expected {result['expected']:,}: {verdict})")  # fmt: skip
        if verdict != "ok":
            raise SystemExit(1)
    so = bench_server_only(n)
    for name, label in (("sf", "salesforce collections x200"), ("hs", "hubspot batch create x100")):
        ms = so[f"{name}_ms"]
        print(
            f"{label:27s} server-only (in-process ASGI, no HTTP/TLS): {ms:6.2f} ms CPU/request "
            f"(ceiling {1000 / ms:7.1f} req/s)"
        )
    contacts = args.search or (10_000 if args.quick else 50_000)
    for narrowed, label in ((False, "modified >= t"), (True, "modified >= t, has email")):
        seconds, pages, rows = bench_search_paging(contacts, narrowed=narrowed)
        print(
            f"hubspot search paging ({label}): {rows:,} of {contacts:,} contacts in {pages} "
            f"pages of 200, {seconds:.2f} s CPU ({seconds / pages * 1000:.2f} ms/page)"
        )
        if rows != contacts:
            raise SystemExit("search paging did not read every contact exactly once")


if __name__ == "__main__":
    main()
