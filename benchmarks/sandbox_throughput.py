"""Sandbox throughput: requests/s for batch creates against the emulators over loopback TLS.

Measures, in one run:
- baseline: a trivial unauthenticated GET (``/services/data/``) on the same server, i.e. the
  HTTP+TLS+framework floor;
- Salesforce single-record create (POST /sobjects/Lead) and sObject Collections create of
  200 Leads per request;
- HubSpot batch create of 100 contacts per request (when ``leadsync.sandbox.hubspot`` exists).

Each server runs in a child process so the client and the server do not share one GIL.
Usage: ``python benchmarks/sandbox_throughput.py [--quick] [--requests N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import requests

TARGET_RPS = 300.0


def _session(ca_path: str | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_path or True
    return session


def _serve_salesforce(conn: Connection) -> None:
    from leadsync.sandbox.runtime import serve
    from leadsync.sandbox.salesforce import SalesforceSandbox, create_app

    sandbox = SalesforceSandbox()
    with serve(create_app(sandbox), tls=True) as server:
        conn.send((server.base_url, server.ca_path, sandbox.session_id))
        conn.recv()


def _serve_hubspot(conn: Connection) -> None:
    try:
        from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
    except ImportError:
        conn.send(None)
        return
    sandbox = HubSpotSandbox()
    with sandbox.serve(tls=True) as server:
        conn.send((server.base_url, server.ca_path, DEFAULT_TOKEN))
        conn.recv()


class ChildServer:
    """Runs one ``_serve_*`` target in a spawned process until closed."""

    def __init__(self, target: Callable[[Connection], None]) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=target, args=(child,), daemon=True)
        self._proc.start()
        self.info: tuple[str, str | None, str] | None = self._conn.recv()

    def close(self) -> None:
        if self.info is not None:
            self._conn.send("stop")
        self._proc.join(timeout=15)


def _timed(n: int, call: Callable[[int], requests.Response]) -> float:
    call(-1)  # warm the connection and TLS session
    started = time.perf_counter()
    for i in range(n):
        resp = call(i)
        if resp.status_code >= 300:
            raise SystemExit(f"request {i} failed: {resp.status_code} {resp.text[:200]}")
    return n / (time.perf_counter() - started)


def bench_salesforce(n: int) -> dict[str, float]:
    server = ChildServer(_serve_salesforce)
    assert server.info is not None
    base, ca, token = server.info
    http = _session(ca)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/services/data/v60.0/composite/sobjects"

    def create(i: int) -> requests.Response:
        records = [
            {"attributes": {"type": "Lead"}, "LastName": f"L{i}-{j}", "Company": "Bench",
             "Email": f"l{i}.{j}@bench.example", "NumberOfEmployees": j}
            for j in range(200)
        ]  # fmt: skip
        return http.post(url, json={"allOrNone": False, "records": records}, headers=headers)

    def create_one(i: int) -> requests.Response:
        record = {"LastName": f"S{i}", "Company": "Bench", "Email": f"s{i}@bench.example"}
        return http.post(f"{base}/services/data/v60.0/sobjects/Lead/", json=record, headers=headers)

    try:
        floor = _timed(n, lambda i: http.get(f"{base}/services/data/"))
        single = _timed(n, create_one)
        rps = _timed(n, create)
    finally:
        server.close()
    return {"baseline_rps": floor, "single_rps": single, "rps": rps, "records_per_s": rps * 200}


def bench_hubspot(n: int) -> dict[str, float] | None:
    server = ChildServer(_serve_hubspot)
    if server.info is None:
        server.close()
        return None
    base, ca, token = server.info
    http = _session(ca)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/crm/v3/objects/contacts/batch/create"

    def create(i: int) -> requests.Response:
        inputs = [
            {
                "properties": {
                    "email": f"c{i}.{j}@bench.example",
                    "firstname": "C",
                    "lastname": f"{i}",
                }
            }
            for j in range(100)
        ]
        return http.post(url, json={"inputs": inputs}, headers=headers)

    try:
        rps = _timed(n, create)
    finally:
        server.close()
    return {"rps": rps, "records_per_s": rps * 100}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (30 requests)")
    parser.add_argument("--requests", type=int, default=None, help="requests per measurement")
    args = parser.parse_args(argv)
    n = args.requests or (30 if args.quick else 300)
    sf = bench_salesforce(n)
    print(f"requests per measurement: {n}")
    print(f"baseline GET /services/data/        : {sf['baseline_rps']:8.1f} req/s")
    print(
        f"salesforce single-record create     : {sf['single_rps']:8.1f} req/s "
        f"({sf['single_rps'] / sf['baseline_rps']:.2f}x baseline, "
        f"{sf['single_rps'] / TARGET_RPS:.2f}x target {TARGET_RPS:.0f})"
    )
    print(
        f"salesforce collections create x200  : {sf['rps']:8.1f} req/s "
        f"({sf['records_per_s']:,.0f} records/s, {sf['rps'] / sf['baseline_rps']:.2f}x baseline, "
        f"{sf['rps'] / TARGET_RPS:.2f}x target {TARGET_RPS:.0f})"
    )
    hs: dict[str, Any] | None = bench_hubspot(n)
    if hs is None:
        # HOOK: leadsync.sandbox.hubspot is missing; its 100-record batch create goes here.
        print("hubspot batch create x100          : skipped (no leadsync.sandbox.hubspot)")
    else:
        print(
            f"hubspot batch create x100           : {hs['rps']:8.1f} req/s "
            f"({hs['records_per_s']:,.0f} records/s, "
            f"{hs['rps'] / sf['baseline_rps']:.2f}x SF baseline, "
            f"{hs['rps'] / TARGET_RPS:.2f}x target)"
        )


if __name__ == "__main__":
    main()
