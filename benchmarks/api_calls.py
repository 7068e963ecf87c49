"""API calls used to sync N new records into each CRM sandbox, against ideal and naive.

For each sandbox (Salesforce, HubSpot) this script writes N new records through the
connector's write path and counts the calls the sandbox's CallLog saw. Beside it:

- ideal: ceil(N / batch size), the fewest calls the vendor's batch API allows;
- naive: one lookup (search) plus one single-record create per record, measured on a
  smaller sample in the same run and extrapolated linearly to N (the output says so);
- re-read: calls for an incremental read with no changes since the last cursor.

Usage: python benchmarks/api_calls.py [--quick] [--records N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from leadsync.connectors.base import WriteOp
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.hubspot import HubSpotConnector, HubSpotSettings, PrivateAppAuth
from leadsync.connectors.retry import RetryPolicy
from leadsync.connectors.salesforce import (
    PasswordAuth,
    SalesforceConnector,
    SalesforceSettings,
    soql,
)
from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox
from leadsync.sandbox.runtime import CallLog, RunningServer, serve
from leadsync.sandbox.salesforce import SalesforceSandbox, create_app

RETRY = RetryPolicy(max_attempts=3, base=0.01, cap=0.05)


def _row(name: str, n: int, calls: int, ideal: int, note: str = "") -> str:
    ratio = calls / ideal if ideal else float("nan")
    return f"  {name:<34} {n:>7} records {calls:>7} calls  ideal {ideal:>5}  x{ratio:5.2f} {note}"


def _measure(log: CallLog, fn: Callable[[], Any]) -> tuple[int, float]:
    log.reset()
    start = time.perf_counter()
    fn()
    return log.calls(), time.perf_counter() - start


def _reread_calls(log: CallLog, conn: Any, obj: str) -> int:
    records = list(conn.read(obj))  # warm: describe is cached after this
    since = max(r.updated_at for r in records) if records else datetime(2000, 1, 1, tzinfo=UTC)
    log.reset()
    list(conn.read(obj, since))
    return log.calls()


# -- Salesforce ------------------------------------------------------------------------------
HTTP_REQUESTS = [0]


def _count_request(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
    HTTP_REQUESTS[0] += 1


def _sf_conn(server: RunningServer, sandbox: SalesforceSandbox, **kw: Any) -> SalesforceConnector:
    session = requests.Session()
    session.trust_env = False
    session.verify = server.ca_path or True
    session.hooks["response"].append(_count_request)
    auth = PasswordAuth(username=sandbox.username, password="bench-pw", client_id="c",
                        client_secret="s")  # fmt: skip
    settings = SalesforceSettings(
        auth=auth, login_url=server.base_url, bulk_poll_interval=0.05, **kw
    )
    conn = SalesforceConnector(settings, deps=ConnectorDeps(requests_session=session, retry=RETRY))
    conn.check()  # log in outside the measured part
    return conn


def _lead(i: int, tag: str) -> dict[str, Any]:
    return {"LastName": f"{tag}{i}", "Company": "Bench", "Email": f"{tag}{i}@bench.io"}


def _verdict(secs: float, calls: int, ideal: int) -> str:
    budget = 1.05 * ideal + 5
    return f"{secs:6.1f}s  target <= {budget:.0f}: {'ok' if calls <= budget else 'MISSED'}"


def salesforce(n: int, naive_n: int) -> None:
    sandbox = SalesforceSandbox(password="bench-pw")
    with serve(create_app(sandbox), tls=True) as server:
        print(f"Salesforce sandbox ({server.base_url})")
        paths = [("bulk 2.0 (default threshold)", 2000), ("sObject Collections only", 10**9)]
        for label, threshold in paths:
            conn = _sf_conn(server, sandbox, bulk_threshold=threshold)
            ops = [WriteOp("create", _lead(i, label[:4]), str(i)) for i in range(n)]
            HTTP_REQUESTS[0] = 0
            calls, secs = _measure(sandbox.calls, lambda c=conn, o=ops: _check(c.write("Lead", o)))
            ideal = math.ceil(n / 200)
            print(_row(label, n, calls, ideal, _verdict(secs, calls, ideal)))
            # The sandbox's CallLog does not count Bulk result downloads; the client does.
            print(f"  {'':<34} {'':>15} {HTTP_REQUESTS[0]:>7} HTTP requests seen by the client")
        conn = _sf_conn(server, sandbox, bulk_threshold=10**9)

        def naive() -> None:
            for i in range(naive_n):
                fields = _lead(i, "n")
                query = soql.by_values("Lead", "Email", [fields["Email"]])
                conn.client.json("GET", "query", params={"q": query})
                conn.client.json("POST", "sobjects/Lead", json=fields)

        calls, _ = _measure(sandbox.calls, naive)
        _naive_row(n, naive_n, calls, math.ceil(n / 200))
        reread = _reread_calls(sandbox.calls, conn, "Lead")
        print(f"  re-read with no changes: {reread} call(s) for Lead")


# -- HubSpot ---------------------------------------------------------------------------------
def _hs_conn(server: RunningServer) -> HubSpotConnector:
    # The sandbox's rate limiter is off: the client budget is opened up so only calls count.
    auth = PrivateAppAuth(access_token=DEFAULT_TOKEN)
    settings = HubSpotSettings(auth=auth, base_url=server.base_url, rate_limit=100_000)
    return HubSpotConnector(settings, deps=ConnectorDeps(ca_path=server.ca_path, retry=RETRY))


def _hs_naive_one(conn: HubSpotConnector, email: str) -> None:
    match = {"propertyName": "email", "operator": "EQ", "value": email}
    search = {"filterGroups": [{"filters": [match]}], "limit": 1}
    body = {"properties": {"email": email, "firstname": "N"}}
    objects = "contacts"
    conn.api.call(
        lambda sdk: sdk.crm.objects.search_api.do_search(objects, search, _preload_content=False)
    )
    conn.api.call(
        lambda sdk: sdk.crm.objects.basic_api.create(objects, body, _preload_content=False)
    )


def hubspot(n: int, naive_n: int) -> None:
    sandbox = HubSpotSandbox()
    with sandbox.serve(tls=True) as server:
        print(f"HubSpot sandbox ({server.base_url})")
        conn = _hs_conn(server)
        ops = [WriteOp("create", {"email": f"c{i}@bench.io"}, str(i)) for i in range(n)]
        calls, secs = _measure(sandbox.calls, lambda: _check(conn.write("contacts", ops)))
        ideal = math.ceil(n / 100)
        print(_row("batch create (100 per call)", n, calls, ideal, _verdict(secs, calls, ideal)))
        calls, _ = _measure(
            sandbox.calls, lambda: [_hs_naive_one(conn, f"n{i}@bench.io") for i in range(naive_n)]
        )
        _naive_row(n, naive_n, calls, ideal)
        reread = _reread_calls(sandbox.calls, conn, "contacts")
        print(f"  re-read with no changes: {reread} call(s) for contacts (search + archived list)")


def _naive_row(n: int, naive_n: int, calls: int, ideal: int) -> None:
    note = f"(measured {calls} calls on {naive_n} records, x{n // naive_n} extrapolated)"
    print(_row("naive search+create per record", n, calls * n // naive_n, ideal, note))


def _check(results: list[Any]) -> None:
    failed = [r for r in results if not r.ok]
    if failed:
        sys.exit(f"{len(failed)} writes failed, first: {failed[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 records, naive on 100")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args()
    n = args.records or (1_000 if args.quick else 10_000)
    naive_n = max(1, n // 10)
    salesforce(n, naive_n)
    hubspot(n, naive_n)


if __name__ == "__main__":
    main()
