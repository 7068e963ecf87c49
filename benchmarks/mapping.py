"""Mapping throughput: canonical → target → canonical with the default mappings.

Maps N generated leads (100,000; 10,000 with --quick) through the Salesforce Lead and the
HubSpot contacts default mappings and back, on one core, and prints records/s for each
direction, the round trip (by wall-clock and by CPU time), a plain-dict baseline measured
in the same run, the ratio between them, and peak memory. Emails and phones are unique and
each company (with its website) comes back about four times, so the first pass pays for
every email/phone check and a quarter of the domain checks ("cold"); the second pass over
the same records shows the memoised steady state ("warm").

    .venv/bin/python benchmarks/mapping.py [--quick] [--records N]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from leadsync.mapping import Mapping, load_mapping
from leadsync.mapping.defaults import default_mapping_path
from leadsync.mapping.model import Lead, Stage, Touch
from leadsync.mapping.normalize import clear_caches

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
WARM = 50_000
FIRST = ["Ann", "José", "Li", "Priya", "Oluwaseun", "Chloé", "Mark", "Sven", "Aoife", "Kenji"]
LAST = ["McDonald", "O'Neil", "van der Berg", "Müller", "Nakamura", "García", "Smith", "Kowalski"]
PLACES = [
    ("US", "CA", "+1415", 7, "San Francisco"),
    ("US", "NY", "+1212", 7, "New York"),
    ("US", "TX", "+1512", 7, "Austin"),
    ("CA", "ON", "+1416", 7, "Toronto"),
    ("DE", "BY", "+4989", 8, "München"),
    ("GB", None, "+44207", 7, "London"),
    ("NL", None, "+3120", 7, "Amsterdam"),
    ("FR", None, "+331", 8, "Paris"),
]
STAGES = [Stage.NEW, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER]
TITLES = ["CTO", "Head of Marketing", "VP Sales", "Engineer", "Founder & CEO"]


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_leads(count: int, seed: int = 7) -> list[Lead]:
    """Leads with canonical values; emails, phones and companies mostly unique."""
    rng = random.Random(seed)
    leads = []
    for i in range(count):
        country, region, prefix, digits, city = rng.choice(PLACES)
        company = f"Company{rng.randrange(count // 4 + 1)}"
        domain = f"{company.lower()}.example.com"
        phone = f"{prefix}{rng.randrange(2, 9)}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"
        leads.append(
            Lead(
                # Local parts are ASCII, as nearly all real ones are (accents take the slow,
                # library path: see the normaliser tests).
                email=f"{ascii_fold(rng.choice(FIRST))}.{i}@{domain}",
                phone=phone,
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                company=company + " Inc.",
                website_domain=domain,
                title=rng.choice(TITLES),
                city=city,
                region=region,
                country=country,
                employee_count=rng.randrange(1, 50_000),
                annual_revenue=Decimal(rng.randrange(10**9)) / 100,
                stage=rng.choice(STAGES),
                first_touch=Touch(source=rng.choice(["Web", "Event", "Partner"])),
            )
        )
    return leads


def timed(label: str, count: int, func: Callable[[], Any]) -> tuple[float, float]:
    """Run ``func``, print records/s and return (wall-clock, CPU) seconds."""
    start, start_cpu = time.perf_counter(), time.process_time()
    func()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"  {label:<40} {count / elapsed:>12,.0f} records/s  ({elapsed:.2f} s, CPU {cpu:.2f} s)")
    return elapsed, cpu


def bench_mapping(name: str, mapping_file: Any, leads: list[Lead]) -> tuple[float, int]:
    clear_caches()
    mapping: Mapping = load_mapping(mapping_file)  # fresh, so its value caches are cold
    n = len(leads)
    print(f"{name} ({n:,} leads, cold caches)")
    targets: list[dict[str, Any]] = []
    t_out, cpu_out = timed(
        "canonical -> target", n, lambda: targets.extend(map(mapping.to_target, leads))
    )
    bad = 0

    def back(fields_list: list[dict[str, Any]]) -> None:
        nonlocal bad
        for i, fields in enumerate(fields_list):
            result = mapping.to_canonical(fields, record=str(i), system=name, observed_at=WHEN)
            bad += bool(result.errors)

    t_in, cpu_in = timed("target -> canonical", n, lambda: back(targets))
    print(f"  {'round trip (both directions)':<40} {n / (t_out + t_in):>12,.0f} records/s")
    # CPU time moves less than wall-clock time when other work shares the machine.
    print(f"  {'round trip, by CPU time':<40} {n / (cpu_out + cpu_in):>12,.0f} records/s")
    # Records seen before, as an incremental sync re-reading unchanged records meets them;
    # the last WARM of them, which fit the normalisers' memo (65,536 values each).
    again = targets[-WARM:]
    t_warm, _ = timed(
        f"target -> canonical, last {len(again):,} again", len(again), lambda: back(again)
    )
    t_out_warm = t_out * len(again) / n
    print(
        f"  {'round trip, warm caches':<40} {len(again) / (t_out_warm + t_warm):>12,.0f} records/s"
    )
    return t_out + t_in, bad


def bench_baseline(leads: list[Lead], mapping: Mapping) -> float:
    """The floor: rename the same fields with plain dict copies and rebuild a Lead."""
    pairs = [(s.path, s.target) for s in mapping.writes if "." not in s.path]
    back = [(target, path) for path, target in pairs]

    def run() -> None:
        for lead in leads:
            source = {t: getattr(lead, p) for p, t in pairs}
            Lead.model_validate({p: source[t] for t, p in back})

    return timed("baseline: dict copy + Lead()", len(leads), run)[0]


def peak_memory(leads: list[Lead], mapping_file: Any) -> int:
    mapping = load_mapping(mapping_file)
    tracemalloc.start()
    for i, lead in enumerate(leads):
        mapping.to_canonical(mapping.to_target(lead), record=str(i), system="x", observed_at=WHEN)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records instead of 100,000")
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args()
    count = args.records or (10_000 if args.quick else 100_000)
    leads = make_leads(count)
    # The generated leads live for the whole run: keep the collector from rescanning them.
    gc.collect()
    gc.freeze()
    files = {
        "salesforce Lead": default_mapping_path("leadsync.connectors.salesforce", "Lead"),
        "hubspot contacts": default_mapping_path("leadsync.connectors.hubspot", "contacts"),
    }
    # Load the libraries' data once (suffix list, numbering plans, ISO tables): a start-up
    # cost, not a per-record one. Value caches are cleared again before each timed run.
    for path in files.values():
        warm_up = load_mapping(path)
        for lead in make_leads(200, seed=99):
            warm_up.to_canonical(warm_up.to_target(lead), record="w", system="w", observed_at=WHEN)
    for name, path in files.items():
        mapping_time, bad = bench_mapping(name, path, leads)
        base = bench_baseline(leads, load_mapping(path))
        print(f"  {'mapping / baseline time ratio':<40} {mapping_time / base:>12.1f}x")
        print(f"  {'records with mapping errors':<40} {bad:>12,}")
    sample = leads[: min(count, 10_000)]
    peak = peak_memory(sample, files["salesforce Lead"])
    print(f"peak traced memory, {len(sample):,} SF round trips: {peak / 2**20:.1f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
