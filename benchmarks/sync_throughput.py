"""Sync throughput: N HubSpot contacts to Salesforce Leads through the whole engine.

Per size N (``--sizes``, default 10k, 30k, 100k; ``--quick`` is 10k only), in one run:

- the CRM sandboxes run in a child process of their own (their state and their CPU are not
  the engine's); HubSpot is seeded with N contacts straight through its state functions;
- pipeline: ``run_job`` in a fresh child process on a fresh store (SQLite in a temp dir, or
  a fresh schema of ``--db postgresql+psycopg://...``): refresh, read, map, match, merge,
  plan, push, record; records/s end to end and peak RSS (VmHWM) of that process;
- baseline: in another fresh child, the raw connectors on the same N: HubSpot ``read`` and
  Salesforce ``write`` of the same batches (a plain field copy, no store, no matching), so
  the pipeline/raw ratio is the engine's own cost;
- API calls from the sandboxes' CallLogs against the ideal: ceil(N/200) HubSpot search pages
  plus, for the writes, ceil(N/200) sObject Collections calls (or, once a batch reaches the
  connector's Bulk threshold, 5 calls per Bulk 2.0 job: create, upload, close, poll, result).

Beside wall time each process reports its own CPU time (engine CPU per record is the figure
that other load on the machine disturbs least). Both CRMs live in one sandbox process, so
wall time also includes the sandboxes' own work (the raw baseline shows how much).

The contacts work for 40 employers whatever N (``--companies`` changes it): at 100k that is
2,500 people an employer, so employer and name blocks are dense and matching costs more per
record as N grows; ``--companies`` scaled with N keeps the data's density constant.

Targets: >= 2,000 records/s end to end, <= 500 MB peak RSS, RSS flat with N.
Usage: python benchmarks/sync_throughput.py [--quick] [--sizes 10000,30000] [--batch-size 2000]
[--db URL] [--tmpdir /dev/shm] [--profile out.pstats] [--companies 5000]
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bench_store import fresh_db

TARGET_RPS = 2_000.0
TARGET_RSS_MB = 500.0
SF_PASSWORD = "bench-pw"
HS_TOKEN = "bench-token"
BULK_THRESHOLD = 2_000  # the connector's default
BULK_CALLS_PER_JOB = 5


# -- the CRM sandboxes, in their own process ----------------------------------------------
def _serve_crms(conn: Connection) -> None:
    from leadsync.sandbox.hubspot import HubSpotSandbox, seed_hubspot
    from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce

    salesforce = SalesforceSandbox(password=SF_PASSWORD)
    hubspot = HubSpotSandbox(tokens=(HS_TOKEN,))
    with serve_salesforce(salesforce) as sf_server, hubspot.serve(tls=False) as hs_server:
        conn.send((sf_server.base_url, sf_server.ca_path, hs_server.base_url))
        while (command := conn.recv()) != "stop":
            if command[0] == "seed":
                salesforce.reset()
                hubspot.reset()
                started = time.perf_counter()
                seed_hubspot(hubspot, seed=7, contacts=command[1], owners=5, companies=command[2])
                conn.send(time.perf_counter() - started)
            elif command[0] == "reset_sf":
                salesforce.reset()
                hubspot.calls.reset()
                conn.send(None)
            elif command[0] == "calls":
                leads = len(salesforce.rows("Lead"))
                conn.send((salesforce.calls.snapshot(), hubspot.calls.snapshot(), leads))


class Crms:
    """The sandbox process and how to reach it."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_crms, args=(child,), daemon=True)
        self._proc.start()
        self.urls: tuple[str, str | None, str] = self._conn.recv()

    def ask(self, *command: Any) -> Any:
        """Send one command and return its answer."""
        self._conn.send(command)
        return self._conn.recv()

    def close(self) -> None:
        """Stop the sandboxes."""
        self._conn.send("stop")
        self._proc.join(timeout=30)


# -- measurements in fresh processes ------------------------------------------------------
def _rss_mb(field: str = "VmHWM") -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _project(
    urls: tuple[str, str | None, str],
    db_url: str,
    batch_size: int,
    matching: dict[str, Any],
    read_ahead: str = "thread",
) -> Any:
    from leadsync.config.project import Project

    sf_url, _, hs_url = urls
    os.environ["BENCH_SF_PASSWORD"], os.environ["BENCH_HS_TOKEN"] = SF_PASSWORD, HS_TOKEN
    data = {
        "store": {"url": db_url},
        "connectors": {
            "salesforce": {"type": "salesforce", "settings": {
                "auth": {"kind": "password", "username": "admin@leadsync.example",
                         "password": "${BENCH_SF_PASSWORD}", "client_id": "bench",
                         "client_secret": "env:BENCH_SF_PASSWORD"},
                "login_url": sf_url, "bulk_poll_interval": 0.01}},
            "hubspot": {"type": "hubspot", "settings": {
                "auth": {"kind": "private_app", "access_token": "${BENCH_HS_TOKEN}"},
                "base_url": hs_url, "rate_limit": 1_000_000}},
        },
        "matching": matching,
        "policy": {"objects": {"lead": {"master": "salesforce"}}},
        "jobs": [{"name": "hs-to-sf", "sources": [{"connector": "hubspot", "object": "contacts"}],
                  "target": "salesforce", "object": "Lead", "batch_size": batch_size,
                  "read_ahead": read_ahead}],
    }  # fmt: skip
    return Project.model_validate(data)


def _wiring(urls: tuple[str, str | None, str], project: Any) -> Any:
    import requests

    from leadsync.connectors.deps import ConnectorDeps
    from leadsync.sync.wiring import Wiring

    session = requests.Session()
    session.trust_env = False
    session.verify = urls[1] or True
    return Wiring(project, deps={"salesforce": ConnectorDeps(requests_session=session)})


class _CollectorClock:
    """A ``gc.callbacks`` hook: how long and how often the cyclic collector ran."""

    def __init__(self) -> None:
        self.seconds, self.runs, self._started = 0.0, 0, 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs += 1

    def totals(self) -> tuple[float, int]:
        return self.seconds, self.runs


def _pipeline(
    conn: Connection,
    urls: Any,
    db_url: str,
    batch: int,
    profile: str | None,
    matching: dict[str, Any],
    read_ahead: str,
) -> None:
    from leadsync.store.engine import make_engine, session_factory
    from leadsync.store.migrate import upgrade
    from leadsync.sync.runner import run_job

    engine = make_engine(db_url)
    upgrade(engine)
    wiring = _wiring(urls, _project(urls, db_url, batch, matching, read_ahead))
    rss_before = _rss_mb("VmRSS")
    collector = _CollectorClock()
    gc.callbacks.append(collector)
    started, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(run_job, wiring, session_factory(engine), "hs-to-sf")
        profiler.dump_stats(profile)
    else:
        report = run_job(wiring, session_factory(engine), "hs-to-sf")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    gc.callbacks.remove(collector)
    stats = report.stats.as_dict()
    answer = (seconds, cpu, report.status, stats, rss_before, _rss_mb(), collector.totals())
    conn.send((*answer, _read_ahead_cpu()))


def _read_ahead_cpu() -> float:
    """CPU seconds of the read-ahead processes this process's fork server started (0: none).

    They are the fork server's children, not ours, so their time is read from the fork
    server's ``cutime``/``cstime`` in /proc (children it has reaped).
    """
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _baseline(conn: Connection, urls: Any, batch: int) -> None:
    from leadsync.connectors.base import WriteOp

    wiring = _wiring(urls, _project(urls, "sqlite://", batch, {}))
    source, target = wiring.source("hubspot"), wiring.destination("salesforce")
    started, cpu, count, ops = time.perf_counter(), time.process_time(), 0, []
    for record in source.read("contacts"):
        f = record.fields
        fields = {"LastName": f.get("lastname") or "?", "FirstName": f.get("firstname"),
                  "Email": f.get("email"), "Company": f.get("company") or "?",
                  "Phone": f.get("phone"), "Title": f.get("jobtitle"),
                  "Leadsync_Id__c": f"ls-{record.id}"}  # fmt: skip
        ops.append(WriteOp("upsert", fields, record.id, key_field="Leadsync_Id__c"))
        if len(ops) == batch:
            count += _write(target, ops)
    count += _write(target, ops)
    conn.send((time.perf_counter() - started, time.process_time() - cpu, count, _rss_mb()))


def _write(target: Any, ops: list[Any]) -> int:
    if not ops:
        return 0
    results = target.write("Lead", ops)
    ops.clear()
    return sum(1 for r in results if r.ok)


def _in_child(target: Callable[..., None], *args: Any) -> Any:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(child, *args))
    proc.start()
    answer = parent.recv()
    proc.join()
    return answer


# -- one size, and the report ---------------------------------------------------------------
def _split_calls(sf: dict[str, tuple[int, int]], hs: dict[str, tuple[int, int]]) -> dict[str, int]:
    def total(log: dict[str, tuple[int, int]], keep: Callable[[str], bool]) -> int:
        return sum(calls for endpoint, (calls, _) in log.items() if keep(endpoint))

    def writes(e: str) -> bool:
        return e.startswith(("composite.", "bulk2.ingest"))

    return {
        "hs_reads": total(hs, lambda e: "search" in e),
        "hs_other": total(hs, lambda e: "search" not in e),
        "sf_writes": total(sf, writes),
        "sf_other": total(sf, lambda e: not writes(e)),
    }


def _ideal(n: int, batch: int) -> int:
    reads = math.ceil(n / 200)
    if batch >= BULK_THRESHOLD:
        return reads + math.ceil(n / batch) * BULK_CALLS_PER_JOB
    return reads + math.ceil(n / 200)


def run_size(crms: Crms, n: int, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    """Seed N contacts, run the pipeline and the raw baseline; return the figures."""
    seed_seconds = crms.ask("seed", n, args.companies)
    db_url, drop = fresh_db(args.db, workdir, str(n))
    try:
        profile = f"{args.profile}.{n}" if args.profile else None
        matching = {"max_block_size": args.max_block_size} if args.max_block_size else {}
        answer = _in_child(
            _pipeline, crms.urls, db_url, args.batch_size, profile, matching, args.read_ahead
        )
        secs, cpu, status, stats, rss0, rss, collector, ahead_cpu = answer
    finally:
        drop()
    sf_calls, hs_calls, leads = crms.ask("calls")
    calls = _split_calls(sf_calls, hs_calls)
    crms.ask("reset_sf")
    raw_secs, raw_cpu, raw_ok, raw_rss = _in_child(_baseline, crms.urls, args.batch_size)
    return {
        "n": n, "seed": seed_seconds, "secs": secs, "cpu": cpu, "status": status, "stats": stats,
        "rss0": rss0, "rss": rss, "collector": collector, "calls": calls, "leads": leads,
        "ahead_cpu": ahead_cpu,
        "raw_secs": raw_secs, "raw_cpu": raw_cpu, "raw_ok": raw_ok, "raw_rss": raw_rss,
    }  # fmt: skip


def _print(r: dict[str, Any], batch: int) -> None:
    n, calls, stats = r["n"], r["calls"], r["stats"]
    rps, raw_rps = n / r["secs"], r["raw_ok"] / r["raw_secs"]
    used, ideal = sum(calls.values()), _ideal(n, batch)
    print(f"N={n:,} (seeded in {r['seed']:.1f}s) run {r['status']}: created {stats['created']:,}"
          f" matched {stats['matched']:,} dead-lettered {stats['dead_lettered']:,};"
          f" {r['leads']:,} Leads in Salesforce")  # fmt: skip
    print(
        f"  pipeline end to end : {r['secs']:7.1f} s  {rps:7,.0f} records/s"
        f"  (target {TARGET_RPS:,.0f}: {'ok' if rps >= TARGET_RPS else 'MISSED'})"
        f"  engine CPU {r['cpu']:.1f} s = {1e6 * r['cpu'] / n:.0f} us/record"
    )
    if r["ahead_cpu"]:
        print(
            f"  read-ahead process  : CPU {r['ahead_cpu']:.1f} s = "
            f"{1e6 * r['ahead_cpu'] / n:.0f} us/record (read, map, key, fold; not in engine CPU)"
        )
    print(
        f"  raw connectors      : {r['raw_secs']:7.1f} s  {raw_rps:7,.0f} records/s"
        f"  ({r['raw_ok']:,} written)  pipeline/raw = {rps / raw_rps:.2f}"
        f"  client CPU {r['raw_cpu']:.1f} s = {1e6 * r['raw_cpu'] / n:.0f} us/record"
    )
    print(
        f"  API calls           : {used:,} used, ideal {ideal:,} (x{used / ideal:.2f}): "
        + ", ".join(f"{k} {v:,}" for k, v in calls.items())
    )
    gc_seconds, gc_runs = r["collector"]
    print(f"  cyclic collector    : {gc_seconds:7.1f} s in {gc_runs:,} collections (pipeline)")
    print(
        f"  peak RSS            : {r['rss']:6.0f} MB pipeline (at start {r['rss0']:.0f} MB,"
        f" {r['raw_rss']:.0f} MB raw baseline)"
        f"  (target {TARGET_RSS_MB:.0f}: {'ok' if r['rss'] <= TARGET_RSS_MB else 'MISSED'})"
    )


def _reference_ms() -> float:
    """Best of five runs of a fixed pure-Python loop, in ms: how fast this machine is now.

    The figures above are absolute, and this machine's speed varies from session to session
    and minute to minute (shared cores); compare runs only when this figure is alike.
    """
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run every size and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k records only")
    parser.add_argument("--sizes", default="10000,30000,100000", help="comma-separated N")
    parser.add_argument("--batch-size", type=int, default=2_000, help="the job's batch_size")
    parser.add_argument("--db", default=None, help="postgresql+psycopg://... (default SQLite)")
    parser.add_argument("--profile", default=None, help="write cProfile stats to PATH.<N>")
    parser.add_argument("--tmpdir", default=None, help="SQLite directory (/dev/shm...)")
    parser.add_argument(
        "--companies",
        type=int,
        default=40,
        help="employers the contacts work for (default 40 whatever N: dense names per employer)",
    )
    parser.add_argument(
        "--max-block-size", type=int, default=None, help="matching.max_block_size (default 30)"
    )
    parser.add_argument(
        "--read-ahead",
        choices=("process", "thread"),
        default="process",
        help="the job's read_ahead (default process: read, map and key on a second core)",
    )
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(
        f"batch_size {args.batch_size}, read_ahead {args.read_ahead},"
        f" store {'PostgreSQL' if args.db else 'SQLite'},"
        f" {args.companies} employers; machine reference loop {_reference_ms():.0f} ms"
    )
    crms = Crms()
    results = []
    try:
        with tempfile.TemporaryDirectory(dir=args.tmpdir) as workdir:
            for n in sizes:
                results.append(run_size(crms, n, args, workdir))
                _print(results[-1], args.batch_size)
    finally:
        crms.close()
    print(f"machine reference loop at the end: {_reference_ms():.0f} ms")
    print("flat with N (peak RSS of the pipeline process):")
    for r in results:
        per_k = (r["rss"] - r["rss0"]) / (r["n"] / 1000)
        print(
            f"  N={r['n']:>7,}  {r['rss']:6.0f} MB  (+{r['rss'] - r['rss0']:.0f} MB during the "
            f"run, {per_k:.2f} MB per 1k records)  {r['n'] / r['secs']:7,.0f} records/s"
        )


if __name__ == "__main__":
    main()
